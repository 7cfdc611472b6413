/** Amounts of OPG: the chain counts in planck, 10^-18 OPG. */

import { InvalidInput } from "./errors.js";

/** Planck in one OPG. */
export const OPG = 10n ** 18n;
const U128_MAX = (1n << 128n) - 1n;

/** A decimal number's digits and scale (`"1.5e-3"` → 15 and 4), or undefined when `text` is
 * not a plain decimal number. */
export function parseDecimal(text: string): { value: bigint; decimals: number } | undefined {
  const match = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) return undefined;
  const [, sign, whole, fraction = "", exponentText = "0"] = match;
  const exponent = Number(exponentText);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 1000) return undefined;
  let value = BigInt(`${whole}${fraction}` || "0");
  let decimals = fraction.length - exponent;
  if (decimals < 0) {
    value *= 10n ** BigInt(-decimals);
    decimals = 0;
  }
  // Trailing zeros say nothing: 0.010 is 0.01.
  while (decimals > 0 && value % 10n === 0n) {
    value /= 10n;
    decimals -= 1;
  }
  return { value: sign === "-" ? -value : value, decimals };
}

/** An amount of OPG (a decimal such as `"0.01"`) in planck. Throws InvalidInput for anything
 * that is not a non-negative amount of at most 18 decimals that fits the chain's u128. */
export function toPlanck(opg: string | number): bigint {
  const text = String(opg);
  const parsed = parseDecimal(text);
  if (parsed === undefined) throw new InvalidInput(`${JSON.stringify(text)} is not an amount of OPG (for example 0.01)`);
  if (parsed.value < 0n) throw new InvalidInput(`${JSON.stringify(text)} is negative`);
  if (parsed.decimals > 18) throw new InvalidInput(`${JSON.stringify(text)} is finer than the smallest unit of OPG (10^-18 OPG): use at most 18 decimals`);
  const planck = parsed.value * 10n ** BigInt(18 - parsed.decimals);
  if (planck > U128_MAX) throw new InvalidInput(`${JSON.stringify(text)} is more than the chain can count`);
  return planck;
}

/** Planck as OPG for people: `60000000000000000n` → `"0.06 OPG"`. */
export function formatOpg(planck: bigint): string {
  const negative = planck < 0n;
  const magnitude = negative ? -planck : planck;
  const whole = magnitude / OPG;
  const fraction = (magnitude % OPG).toString().padStart(18, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""} OPG`;
}
