import { expect, it } from 'vitest';
import { pythonRepr, pythonReprOfPreview } from './python-repr.js';

it("prints values as Python's repr does (expected strings printed by /usr/bin/python3)", () => {
  expect(
    pythonRepr([
      "it's",
      'say "hi"',
      'both \' "',
      'tab\tnl\n',
      null,
      true,
      1.5,
      { a: [1, 2] },
      Buffer.from([0x61, 0x62, 0x00, 0xff, 0x27]),
    ]),
  ).toBe(
    `["it's", 'say "hi"', 'both \\' "', 'tab\\tnl\\n', None, True, 1.5, {'a': [1, 2]}, b"ab\\x00\\xff'"]`,
  );
  expect(pythonRepr(new Date('2026-01-02T03:04:05.123Z'))).toBe(
    'datetime.datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=datetime.timezone.utc)',
  );
});

it('cuts long text at the limit and says so', () => {
  const text = pythonRepr(['x'.repeat(50)], 20);
  expect(text).toHaveLength(20);
  expect(text.endsWith('...')).toBe(true);
});

it("turns an event's JSON preview into repr text, and leaves one cut short as it is", () => {
  expect(pythonReprOfPreview('["edited",null,true,{"n":1}]')).toBe("['edited', None, True, {'n': 1}]");
  expect(pythonReprOfPreview('42')).toBe('42');
  expect(pythonReprOfPreview('undefined')).toBe('None');
  expect(pythonReprOfPreview('null')).toBe('None');
  expect(pythonReprOfPreview('[]')).toBe('[]');
  expect(pythonReprOfPreview('["a long list",1,2…')).toBe('["a long list",1,2…');
});
