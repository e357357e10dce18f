import { describe, expect, it } from "vitest";
import { CtyError } from "./errors.js";
import { CtyNumber, canonicalNumber, parseNumberValue, shortestDecimal } from "./number.js";

describe("CtyNumber", () => {
  it("parses decimal text exactly and prints it as go-cty does (plain notation)", () => {
    const cases: [string, string][] = [
      ["0", "0"],
      ["-0", "0"],
      ["000123", "123"],
      ["1.50", "1.5"],
      [".5", "0.5"],
      ["5.", "5"],
      ["+7", "7"],
      ["-12.5e3", "-12500"],
      ["1e-7", "0.0000001"],
      ["1E3", "1000"],
      ["123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"],
      ["1e40", `1${"0".repeat(40)}`],
    ];
    for (const [text, printed] of cases) expect(CtyNumber.parse(text).toString(), text).toBe(printed);
  });

  it("refuses what is not a number, and absurd exponents", () => {
    for (const text of ["", "-", ".", "1e", "abc", "1.2.3", "0x10", "1_000", " 1"]) {
      expect(() => CtyNumber.parse(text), JSON.stringify(text)).toThrow(CtyError);
    }
    expect(() => CtyNumber.parse("1e999999999")).toThrow(/out of the supported range/);
  });

  it("fromDouble gives the exact binary value", () => {
    expect(CtyNumber.fromDouble(0.1).toString()).toBe("0.1000000000000000055511151231257827021181583404541015625");
    expect(CtyNumber.fromDouble(2 ** 64).toString()).toBe("18446744073709551616");
    expect(CtyNumber.fromDouble(-0.5).toString()).toBe("-0.5");
    expect(CtyNumber.fromDouble(Number.MIN_VALUE).toString()).toMatch(/^0\.0{323}49406564584124654417/);
    expect(() => CtyNumber.fromDouble(Number.NaN)).toThrow(CtyError);
  });

  it("exactDouble is defined only when a double is exactly equal", () => {
    expect(CtyNumber.parse("0.5").exactDouble()).toBe(0.5);
    expect(CtyNumber.parse("0.1").exactDouble()).toBeUndefined();
    expect(CtyNumber.parse("9007199254740993").exactDouble()).toBeUndefined();
    expect(CtyNumber.parse("9223372036854775808").exactDouble()).toBe(2 ** 63);
    expect(CtyNumber.parse("1e400").exactDouble()).toBeUndefined();
  });

  it("knows integers and the int64 range", () => {
    expect(CtyNumber.parse("9223372036854775807").fitsInt64()).toBe(true);
    expect(CtyNumber.parse("9223372036854775808").fitsInt64()).toBe(false);
    expect(CtyNumber.parse("-9223372036854775808").fitsInt64()).toBe(true);
    expect(CtyNumber.parse("1.5").isInteger()).toBe(false);
    expect(CtyNumber.parse("1.5e1").toBigInt()).toBe(15n);
    expect(() => CtyNumber.parse("1.5").toBigInt()).toThrow(/not an integer/);
  });

  it("compares numerically", () => {
    const sorted = ["10", "-1", "0.1", "1e-400", "-1e400", "2", "0", "-0.5", "1e30"].map((t) => CtyNumber.parse(t)).sort((a, b) => a.compare(b));
    expect(sorted.map((n) => n.toString().slice(0, 12))).toEqual(["-10000000000", "-1", "-0.5", "0", "0.0000000000", "0.1", "2", "10", "100000000000"]);
    expect(CtyNumber.parse("1.0").equals(CtyNumber.parse("1"))).toBe(true);
  });
});

describe("number values", () => {
  it("decoded numbers are a number when exactly a double, else a CtyNumber", () => {
    expect(parseNumberValue("2.5")).toBe(2.5);
    expect(parseNumberValue("1e2")).toBe(100);
    expect(parseNumberValue("0.1")).toBeInstanceOf(CtyNumber);
    expect(parseNumberValue("Inf")).toBe(Infinity);
    expect(parseNumberValue("-inf")).toBe(-Infinity);
    expect(canonicalNumber(CtyNumber.parse("4"))).toBe(4);
  });

  it("shortestDecimal is the double's shortest text, without exponent", () => {
    expect(shortestDecimal(0.1)).toBe("0.1");
    expect(shortestDecimal(1e-7)).toBe("0.0000001");
    expect(shortestDecimal(1e21)).toBe(`1${"0".repeat(21)}`);
  });
});

describe("parseNumberValue agrees with the exact check on short decimals", () => {
  it("for every decimal of up to 4 fraction digits in a range", () => {
    for (let c = -2000; c <= 2000; c += 7) {
      for (const k of [1, 2, 3, 4]) {
        const text = (c / 10 ** k).toFixed(k);
        const exact = CtyNumber.parse(text).exactDouble();
        const fast = parseNumberValue(text);
        if (exact === undefined) expect(fast, text).toEqual(CtyNumber.parse(text));
        else expect(fast, text).toBe(exact === 0 ? 0 : exact);
      }
    }
  });
});
