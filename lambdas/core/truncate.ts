/**
 * Cut text to at most `maxChars`, keeping the head and the tail and saying how much was omitted.
 * The marker is counted inside the budget, so the result never exceeds `maxChars` (for maxChars >= 200).
 */
export function truncateMiddle(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const omittedGuess = text.length - maxChars;
  const marker = (n: number) =>
    `\n[... ${n.toLocaleString('en-US')} characters omitted (output was ${text.length.toLocaleString('en-US')} characters; print less, or slice) ...]\n`;
  const budget = Math.max(0, maxChars - marker(omittedGuess + 200).length);
  const head = Math.ceil(budget * 0.6);
  const tail = budget - head;
  const omitted = text.length - head - tail;
  return text.slice(0, head) + marker(omitted) + (tail > 0 ? text.slice(text.length - tail) : '');
}
