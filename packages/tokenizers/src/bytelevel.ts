/** GPT-2's byte-to-unicode table: every byte gets a printable character (Hugging Face's bytes_char). */
export const BYTE_TO_CHAR: string[] = [];
/** Char code -> byte, -1 where the character is not in the table. */
export const CHAR_TO_BYTE = new Int32Array(324).fill(-1);

(() => {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  for (let i = 0; i < bs.length; i++) {
    BYTE_TO_CHAR[bs[i]!] = String.fromCharCode(cs[i]!);
    CHAR_TO_BYTE[cs[i]!] = bs[i]!;
  }
})();

/** GPT-2's pre-tokenization regex, with Oniguruma's \s (White_Space). */
export const GPT2_REGEX = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;
