/**
 * Exact conversions between binary floats and the chain's fixed-point numbers.
 *
 * A float travels as its shortest decimal that reads back to the same float (numpy's
 * `format_float_positional(unique=True)`, Rust's `Display`), so float32 → chain → float32 is
 * the identity, bit for bit. JavaScript has only float64 arithmetic, and both shortcuts it
 * offers are wrong for float32 in rare cases: `String(x)` gives the shortest decimal of the
 * *double*, and `Math.fround(Number(text))` rounds twice (decimal → double → float32). So both
 * directions are done here with exact integer arithmetic (BigInt), with fast paths only where
 * they are provably exact.
 */

/** A binary floating-point format: its precision in bits and its smallest exponent. */
export interface FloatFormat {
  /** Significand bits, the hidden bit included (24 for float32, 53 for float64). */
  readonly precision: number;
  /** Exponent of the least significant bit of the subnormals (-149, -1074). */
  readonly minExponent: number;
  /** Exponent of the least significant bit of the largest numbers (104, 971). */
  readonly maxExponent: number;
  /** Exponent field width in bits. */
  readonly exponentBits: number;
}

export const FLOAT32: FloatFormat = { precision: 24, minExponent: -149, maxExponent: 104, exponentBits: 8 };
export const FLOAT64: FloatFormat = { precision: 53, minExponent: -1074, maxExponent: 971, exponentBits: 11 };

/** The most decimals a fixed-point number may have (10^38 is the largest power of ten an
 * i128 holds); longer fractions are rounded half up at the 38th decimal, as the tools do. */
export const MAX_DECIMALS = 38;
const I128_LIMIT = 1n << 127n;

/** A fixed-point number: `value · 10^-decimals`. */
export interface FixedPoint {
  value: bigint;
  decimals: number;
}

const scratch = new DataView(new ArrayBuffer(8));

/** `x` (finite, not zero, positive) as `mantissa · 2^exponent` in `format`. */
function decompose(x: number, format: FloatFormat): { mantissa: bigint; exponent: number } {
  if (format === FLOAT32) {
    scratch.setFloat32(0, x);
    const bits = scratch.getUint32(0);
    const field = (bits >>> 23) & 0xff;
    const fraction = bits & 0x7fffff;
    return field === 0
      ? { mantissa: BigInt(fraction), exponent: -149 }
      : { mantissa: BigInt(fraction | 0x800000), exponent: field - 150 };
  }
  scratch.setFloat64(0, x);
  const bits = scratch.getBigUint64(0);
  const field = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  return field === 0
    ? { mantissa: fraction, exponent: -1074 }
    : { mantissa: fraction | (1n << 52n), exponent: field - 1075 };
}

/** The float of `format` whose value is exactly `mantissa · 2^exponent` (mantissa below
 * 2^precision; a mantissa below 2^(precision-1) only with the smallest exponent). */
function compose(mantissa: bigint, exponent: number, format: FloatFormat): number {
  const hidden = 1n << BigInt(format.precision - 1);
  const subnormal = mantissa < hidden;
  if (format === FLOAT32) {
    const field = subnormal ? 0 : exponent + 150;
    scratch.setUint32(0, (field << 23) | Number(subnormal ? mantissa : mantissa - hidden));
    return scratch.getFloat32(0);
  }
  const field = BigInt(subnormal ? 0 : exponent + 1075);
  scratch.setBigUint64(0, (field << 52n) | (subnormal ? mantissa : mantissa - hidden));
  return scratch.getFloat64(0);
}

const pow10Cache: bigint[] = [1n];
function pow10(n: number): bigint {
  for (let i = pow10Cache.length; i <= n; i++) pow10Cache.push(pow10Cache[i - 1] * 10n);
  return pow10Cache[n];
}

/** `n · 2^binary / 10^decimal` as a fraction (numerator, denominator) of positive integers. */
function ratio(n: bigint, binary: number, decimal: number): [bigint, bigint] {
  let numerator = n;
  let denominator = 1n;
  if (binary >= 0) numerator <<= BigInt(binary);
  else denominator <<= BigInt(-binary);
  if (decimal >= 0) denominator *= pow10(decimal);
  else numerator *= pow10(-decimal);
  return [numerator, denominator];
}

/**
 * The shortest decimal `digits · 10^exponent` that reads back (round to nearest, ties to even)
 * to the positive finite float `x` of `format`; among several of that length, the closest to
 * `x`. This is what numpy's `format_float_positional(unique=True)` and Rust's `Display` print.
 */
export function shortestDecimal(x: number, format: FloatFormat): { digits: bigint; exponent: number } {
  const { mantissa, exponent } = decompose(x, format);
  // The interval of reals that round to x, scaled by 4 so that its ends are integers times
  // 2^(exponent-2): the gap below is half as wide at a power of two (but not at the smallest
  // exponent, where the subnormals continue with the same spacing).
  const atPowerOfTwo = mantissa === 1n << BigInt(format.precision - 1) && exponent > format.minExponent;
  const low = 4n * mantissa - (atPowerOfTwo ? 1n : 2n);
  const high = 4n * mantissa + 2n;
  const inclusive = (mantissa & 1n) === 0n; // a tie rounds to the even mantissa: x itself
  const binary = exponent - 2;

  // The candidates n·10^k in [low, high]: integers n between these bounds.
  const bounds = (k: number): [bigint, bigint] => {
    const [lowN, lowD] = ratio(low, binary, k);
    const [highN, highD] = ratio(high, binary, k);
    let first = (lowN + lowD - 1n) / lowD;
    if (!inclusive && lowN % lowD === 0n) first += 1n;
    let last = highN / highD;
    if (!inclusive && highN % highD === 0n) last -= 1n;
    return [first, last];
  };
  const exists = (k: number): boolean => {
    const [first, last] = bounds(k);
    return first <= last;
  };

  // Whether a candidate exists is monotonic in k (a multiple of 10^(k+1) is one of 10^k), so
  // start where one surely exists (precision digits below the leading one) and climb.
  const digitsNeeded = format === FLOAT32 ? 9 : 17;
  let k = Math.floor(Math.log10(x)) - digitsNeeded;
  while (!exists(k)) k -= 1; // only if log10 was off; never more than a step or two
  while (exists(k + 1)) k += 1;

  const [first, last] = bounds(k);
  const [numerator, denominator] = ratio(4n * mantissa, binary, k);
  let nearest = numerator / denominator;
  const twice = 2n * (numerator % denominator);
  if (twice > denominator || (twice === denominator && (nearest & 1n) === 1n)) nearest += 1n;
  const digits = nearest < first ? first : nearest > last ? last : nearest;
  return { digits, exponent: k };
}

/**
 * The chain's fixed-point form of a finite float of `format` (`x` must already be a value of
 * that format: `Math.fround` it for float32). Mirrors `opg_tools.tensors.fixed_point`.
 */
export function floatToFixed(x: number, format: FloatFormat): FixedPoint {
  if (!Number.isFinite(x)) throw new RangeError(`${x} is not a finite number`);
  if (x === 0) return { value: 0n, decimals: 0 };
  const negative = x < 0;
  const { digits, exponent } = shortestDecimal(Math.abs(x), format);
  let value: bigint;
  let decimals: number;
  if (exponent >= 0) {
    value = digits * pow10(exponent);
    decimals = 0;
  } else if (-exponent <= MAX_DECIMALS) {
    value = digits;
    decimals = -exponent;
  } else {
    // Keep 38 decimals, rounding half up on the first dropped digit (what the tools do with
    // the digit string).
    const dropped = -exponent - MAX_DECIMALS;
    value = digits / pow10(dropped) + ((digits / pow10(dropped - 1)) % 10n >= 5n ? 1n : 0n);
    decimals = MAX_DECIMALS;
  }
  if (value >= I128_LIMIT) throw new RangeError(`${x} is too large for the chain's fixed point (i128)`);
  return { value: negative ? -value : value, decimals };
}

/** The chain's fixed-point form of an integer (integers carry no decimals). */
export function integerToFixed(x: bigint): FixedPoint {
  return { value: x, decimals: 0 };
}

const EXACT_POWERS_OF_TEN = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
  1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const TWO_POW_53 = 1n << 53n;

/**
 * The float of `format` nearest to `value · 10^-decimals` (ties to even): the correctly
 * rounded reading of a fixed-point number, as numpy's `float32("<value>e-<decimals>")`.
 * ±Infinity beyond the format's range.
 */
export function fixedToFloat(value: bigint, decimals: number, format: FloatFormat): number {
  if (!Number.isInteger(decimals) || decimals < 0) throw new RangeError(`bad decimals ${decimals}`);
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  let result: number;
  if (magnitude === 0n) {
    result = 0;
  } else if (magnitude <= TWO_POW_53 && decimals < EXACT_POWERS_OF_TEN.length) {
    // Both operands are exact doubles, so the quotient is the correctly rounded double.
    const double = Number(magnitude) / EXACT_POWERS_OF_TEN[decimals];
    result = format === FLOAT64 ? double : narrowToFloat32(double, magnitude, decimals);
  } else {
    result = exactRound(magnitude, pow10(decimals), format);
  }
  return negative ? -result : result;
}

/** The float32 nearest to `magnitude / 10^decimals`, given `double`, its correctly rounded
 * double. Rounding the double again is right unless the double sits exactly halfway between
 * two float32s (the exact value may then be on either side): only then is exact arithmetic
 * needed. */
function narrowToFloat32(double: number, magnitude: bigint, decimals: number): number {
  const single = Math.fround(double);
  if (single === double) return single;
  // Overflow: the double may have rounded up onto the threshold of infinity.
  if (!Number.isFinite(single)) return exactRound(magnitude, pow10(decimals), FLOAT32);
  const other = nextFloat32Toward(single, double);
  if ((single + other) / 2 !== double) return single;
  return exactRound(magnitude, pow10(decimals), FLOAT32);
}

function nextFloat32Toward(x: number, target: number): number {
  scratch.setFloat32(0, x);
  const bits = scratch.getUint32(0);
  scratch.setUint32(0, target > x ? bits + 1 : bits - 1); // x > 0 here
  return scratch.getFloat32(0);
}

/** The float of `format` nearest to numerator/denominator (both positive), ties to even. */
function exactRound(numerator: bigint, denominator: bigint, format: FloatFormat): number {
  const precision = BigInt(format.precision);
  const top = 1n << precision;
  const hidden = top >> 1n;
  const bitLength = (n: bigint) => n.toString(2).length;
  let exponent = bitLength(numerator) - bitLength(denominator) - format.precision;
  exponent = Math.max(exponent, format.minExponent);
  for (;;) {
    const [n, d] = exponent >= 0 ? [numerator, denominator << BigInt(exponent)] : [numerator << BigInt(-exponent), denominator];
    let quotient = n / d;
    if (quotient >= top) {
      exponent += 1;
      continue;
    }
    if (quotient < hidden && exponent > format.minExponent) {
      exponent -= 1;
      continue;
    }
    const twice = 2n * (n % d);
    if (twice > d || (twice === d && (quotient & 1n) === 1n)) quotient += 1n;
    if (quotient === top) {
      quotient = hidden;
      exponent += 1;
    }
    if (exponent > format.maxExponent) return Infinity;
    return compose(quotient, exponent, format);
  }
}

/** The shortest decimal text of a float32 value (`0.1`, `-2.5`, `1e-7` style numbers are
 * written positionally, like the chain's form): what a person should see. */
export function formatFloat(x: number, format: FloatFormat = FLOAT32): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const { digits, exponent } = shortestDecimal(Math.abs(x), format);
  const sign = x < 0 ? "-" : "";
  const text = digits.toString();
  // Scientific notation once positional would be long, as numpy's repr does.
  const leading = text.length - 1 + exponent;
  if (leading < -4 || leading >= 16) {
    const mantissa = text.length > 1 ? `${text[0]}.${text.slice(1)}` : text;
    return `${sign}${mantissa}e${leading < 0 ? "-" : "+"}${String(Math.abs(leading)).padStart(2, "0")}`;
  }
  if (exponent >= 0) return sign + text + "0".repeat(exponent);
  const point = text.length + exponent;
  return point > 0 ? `${sign}${text.slice(0, point)}.${text.slice(point)}` : `${sign}0.${"0".repeat(-point)}${text}`;
}
