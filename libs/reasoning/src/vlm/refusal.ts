/**
 * Phrases with which chat models decline a task. Only an answer with none of the required tags is
 * read against them: a refusal is a different failure from a badly formatted judgement (one says
 * "this model will not do it", the other "this model cannot follow the format").
 */
const refusalPatterns: readonly RegExp[] = [
  /\bI(?:'|’)?m sorry\b/i,
  /\bI apologi[sz]e\b/i,
  /\bI (?:can(?:not|'t|’t)|am unable to|(?:'|’)m unable to|won(?:'|’)t|will not|must decline to)\b/i,
  /\bunable to (?:help|assist|comply|analy[sz]e|determine|provide)\b/i,
  /\bnot able to (?:help|assist|comply|analy[sz]e|determine|provide)\b/i,
  /\bagainst (?:my|the) (?:guidelines|policy|policies)\b/i,
];

/** True when an untagged answer reads as the model declining the task. */
export function looksLikeRefusal(text: string): boolean {
  return refusalPatterns.some((pattern) => pattern.test(text));
}
