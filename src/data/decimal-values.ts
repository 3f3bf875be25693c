/**
 * Arrow Decimal values as numbers and as exact text. Why a module of its own: apache-arrow
 * returns a Decimal value as a DecimalBigNum whose `String()` and `valueOf()` are the UNSCALED
 * integer (12.34 stored at scale 2 reads as 1234), so every reader that did `Number(v)` or
 * `String(v)` was off by 10^scale: CSV conversion wrote 1234, inferred bounds were 100 times too
 * wide, and the value checks did not look at decimals at all. Parquet files written by pandas or
 * Spark carry money-like and lab columns as decimals.
 */
import { DataType, Type, util } from 'apache-arrow';

/** Whether an Arrow type is Decimal. */
export function isDecimalType(type: DataType): boolean {
  return type.typeId === Type.Decimal;
}

/** The scale (digits after the point) of a Decimal type. */
export function decimalScale(type: DataType): number {
  return (type as unknown as { scale: number }).scale ?? 0;
}

/**
 * A Decimal value (as `vector.get` returns it) as the nearest double.
 * @example decimalToNumber(vector.get(0), 2) // 12.34 for the stored 1234
 */
export function decimalToNumber(value: unknown, scale: number): number {
  return util.bigNumToNumber(value as Parameters<typeof util.bigNumToNumber>[0], scale);
}

/**
 * A Decimal value as exact decimal text ("-0.05", "12.34"), every digit kept.
 * @example decimalToString(vector.get(1), 2) // '-0.05' for the stored -5
 */
export function decimalToString(value: unknown, scale: number): string {
  const unscaled = util.bigNumToBigInt(value as Parameters<typeof util.bigNumToBigInt>[0]);
  if (scale <= 0) return (unscaled * 10n ** BigInt(-scale)).toString();
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}
