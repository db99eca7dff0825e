/** AutoTokenizer.fromPretrained(localDir): tokenizer.json + tokenizer_config.json from a folder. */
import { TokenizerError } from './errors.js';
import { Tokenizer } from './tokenizer.js';

export const AutoTokenizer = {
  /**
   * Load `<dir>/tokenizer.json` with `<dir>/tokenizer_config.json` applied: the decode clean-up
   * default (clean_up_tokenization_spaces), model_max_length, and padding side and pad token
   * (padding itself stays off until enablePadding, as in Python). Node only; local folders only.
   */
  async fromPretrained(localDir: string): Promise<Tokenizer> {
    const { exists } = await import('./fs.js');
    const dir = localDir.replace(/[/\\]+$/, '');
    const path = `${dir}/tokenizer.json`;
    if (!(await exists(path))) {
      throw new TokenizerError(`no tokenizer.json in ${localDir} (only local folders in Hugging Face's layout are supported)`, path);
    }
    return Tokenizer.fromFile(path);
  },
};
