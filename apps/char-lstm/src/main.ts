// Character-level LSTM language model on Moby-Dick: `pnpm --filter @tensile/app-char-lstm start -- --help`.
import { parseAppArgs, runMain, UsageError } from '@tensile/app-kit';
import { DEFAULTS, train } from './train.js';

const USAGE = `Usage: pnpm --filter @tensile/app-char-lstm start -- [options]

Trains Embedding -> LSTM/GRU/RNN -> Linear on the characters of Moby-Dick (90/5/5 contiguous split)
with truncated BPTT, reports validation bits per character each epoch and samples text at the end
(printed and saved to OUT/sample.txt). An epoch is --steps-per-epoch optimizer steps of
--batch-size streams x --seq-len characters.

App options:
  --seq-len N          characters per BPTT chunk (default ${DEFAULTS.seqLen})
  --steps-per-epoch N  optimizer steps per epoch (default ${DEFAULTS.stepsPerEpoch})
  --cell lstm|gru|rnn  recurrent cell (default ${DEFAULTS.cell})
  --hidden N           hidden size (default ${DEFAULTS.hidden})
  --layers N           stacked recurrent layers (default ${DEFAULTS.layers})
  --embedding N        character embedding size (default ${DEFAULTS.embedding})
  --dropout X          dropout between stacked layers (default ${DEFAULTS.dropout})
  --clip X             max gradient norm, 0 = no clipping (default ${DEFAULTS.clip})
  --temperature X      sampling temperature (default ${DEFAULTS.temperature})
  --sample-length N    characters to sample at the end (default ${DEFAULTS.sampleLength})
  --prime TEXT         text the sample starts from (default "${DEFAULTS.prime}")
  --eval-batch N       streams in the validation/test evaluation (default ${DEFAULTS.evalBatch})
  --valid-chars N      validation characters per epoch, 0 = all (default ${DEFAULTS.validChars})`;

runMain(async () => {
  const args = parseAppArgs(
    process.argv.slice(2),
    { epochs: DEFAULTS.epochs, batchSize: DEFAULTS.batchSize, lr: DEFAULTS.lr, out: DEFAULTS.out },
    {
      'seq-len': { type: 'number', integer: true, min: 1, default: DEFAULTS.seqLen },
      'steps-per-epoch': { type: 'number', integer: true, min: 1, default: DEFAULTS.stepsPerEpoch },
      cell: { type: 'string', default: DEFAULTS.cell },
      hidden: { type: 'number', integer: true, min: 1, default: DEFAULTS.hidden },
      layers: { type: 'number', integer: true, min: 1, default: DEFAULTS.layers },
      embedding: { type: 'number', integer: true, min: 1, default: DEFAULTS.embedding },
      dropout: { type: 'number', min: 0, default: DEFAULTS.dropout },
      clip: { type: 'number', min: 0, default: DEFAULTS.clip },
      temperature: { type: 'number', min: 0, default: DEFAULTS.temperature },
      'sample-length': { type: 'number', integer: true, min: 0, default: DEFAULTS.sampleLength },
      prime: { type: 'string', default: DEFAULTS.prime },
      'eval-batch': { type: 'number', integer: true, min: 1, default: DEFAULTS.evalBatch },
      'valid-chars': { type: 'number', integer: true, min: 0, default: DEFAULTS.validChars },
    },
    USAGE,
  );
  if (args.cell !== 'lstm' && args.cell !== 'gru' && args.cell !== 'rnn') throw new UsageError(`--cell: expected lstm, gru or rnn, got '${args.cell}'`);
  if (!(args.temperature > 0)) throw new UsageError(`--temperature: expected a positive number, got '${args.temperature}'`);
  if (args.dropout >= 1) throw new UsageError(`--dropout: expected a number in [0, 1), got '${args.dropout}'`);
  const { sample } = await train({ ...args, cell: args.cell });
  console.log(`\n--- sample (temperature ${args.temperature}, seed ${args.seed}) ---\n${sample}\n---`);
});
