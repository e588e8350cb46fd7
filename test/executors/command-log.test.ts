/**
 * The build log itself (src/executors/command-log.ts): streaming masking across writes and across the 64 KiB
 * partial-line flush (finding 9), and the per-build size limit with its marker line (finding 11).
 * The runner-level attacks are in secret-masking.test.ts and log-limit.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BuildLog, logTruncatedLine, Masker } from '../../src/executors/command-log.js';

function collectingLog(secrets: readonly string[], limitBytes?: number): { log: BuildLog; text: () => string } {
  let text = '';
  const log = new BuildLog({ write: (chunk) => (text += chunk) }, new Masker(secrets), () => 0, limitBytes);
  return { log, text: () => text };
}

/** Feeds `output` to a fresh log in pieces cut at `cuts` (byte offsets), then ends the command. */
function written(secrets: readonly string[], output: Buffer, cuts: readonly number[]): string {
  const { log, text } = collectingLog(secrets);
  let at = 0;
  for (const cut of [...cuts, output.length]) {
    log.output(output.subarray(at, cut));
    at = cut;
  }
  log.flushOutput();
  return text();
}

test('finding 9: a secret straddling the 64 KiB partial-line flush is masked wherever the writes split it', () => {
  const secret = 'hunter2-very-secret-value';
  for (let before = 65_520; before <= 65_540; before += 1) {
    const output = Buffer.from('a'.repeat(before) + secret);
    for (const cut of [65_536, 65_537, before + 1, before + secret.length - 1]) {
      const log = written([secret], output, [cut]);
      assert.ok(!log.includes(secret) && !log.includes(secret.slice(0, 12) + '\n'), `split at ${cut} after ${before} bytes`);
      assert.ok(log.includes('***'), `the secret shows as *** (split at ${cut} after ${before} bytes)`);
    }
  }
});

test('finding 9: a line far longer than 64 KiB loses nothing but the secret, even cut inside it', () => {
  const secret = 'p4ss-w0rd-in-the-middle';
  const output = Buffer.from('b'.repeat(65_530) + secret + 'c'.repeat(200_000));
  const log = written([secret], output, [65_540, 140_000]);
  assert.ok(!log.includes(secret));
  assert.equal(log.replaceAll('\n', ''), 'b'.repeat(65_530) + '***' + 'c'.repeat(200_000));
});

test('finding 9: secrets that are prefixes, suffixes or overlaps of one another leave nothing behind', () => {
  const secrets = ['abcdef', 'abc', 'defgh', 'cdefg'];
  for (const line of ['xabcdefghx', 'abcdefgh', 'zzabc', 'defghdefgh', 'abcabcdefg']) {
    const masked = new Masker(secrets).mask(line);
    for (const secret of secrets) assert.ok(!masked.includes(secret), `${secret} in ${masked} (from ${line})`);
    for (const part of ['abc', 'def', 'gh']) assert.ok(!masked.includes(part), `${part} left in ${masked}`);
  }
  // Split at every point of a long line, the overlapping secrets still never appear.
  const output = Buffer.from('y'.repeat(65_533) + 'abcdefgh' + 'y'.repeat(10));
  for (let cut = 65_530; cut < 65_545; cut += 1) assert.ok(!/abc|defgh|cdefg/.test(written(secrets, output, [cut])), `cut at ${cut}`);
});

test('finding 9: a multi-byte secret split inside a UTF-8 character and across the flush is masked', () => {
  const secret = 'clé-secrète-日本語-🔑';
  const output = Buffer.from('é'.repeat(65_530) + secret + '\n');
  const start = Buffer.byteLength('é'.repeat(65_530));
  for (let cut = start - 1; cut < start + Buffer.byteLength(secret); cut += 1) {
    const log = written([secret], output, [cut]);
    assert.ok(!log.includes(secret), `cut at ${cut}`);
    assert.ok(!log.includes('\uFFFD'), `no broken character at ${cut}`);
  }
});

test('finding 11: past the limit command output is dropped, one marker line says so and runner lines go on', () => {
  const limit = 64 * 1024;
  const { log, text } = collectingLog([], limit);
  for (let i = 0; i < 1000; i += 1) log.output(Buffer.from('y\n'.repeat(500)));
  log.system('Phase complete: BUILD State: SUCCEEDED');
  const all = text();
  assert.ok(Buffer.byteLength(all) <= limit + 1024, `${Buffer.byteLength(all)} bytes kept`);
  assert.equal(all.split(logTruncatedLine(limit)).length - 1, 1, 'exactly one marker line');
  assert.match(all, /Phase complete: BUILD State: SUCCEEDED\n$/);
  assert.ok(log.wasTruncated);
});

/** A log whose sink takes bytes as well as text; what it was given, in order, as text. */
function byteCollectingLog(secrets: readonly string[]): { log: BuildLog; text: () => string; byteWrites: () => number } {
  let text = '';
  let byteWrites = 0;
  const sink = {
    write: (chunk: string): void => {
      text += chunk;
    },
    writeBytes: (bytes: Buffer): void => {
      byteWrites += 1;
      text += bytes.toString('utf8');
    },
  };
  return { log: new BuildLog(sink, new Masker(secrets), () => 0), text: () => text, byteWrites: () => byteWrites };
}

test('a sink that takes bytes sees the same log as one that takes text, cut anywhere', () => {
  const secret = 'pässwörd-€-𝄞';
  const output = Buffer.from(`first é line\nsecond ${secret} line\n€𝄞 third\n\xff invalid\npartial ${secret.slice(0, 4)}`, 'utf8');
  const withInvalid = Buffer.concat([output.subarray(0, 30), Buffer.from([0xe2, 0x82]), output.subarray(30)]);
  for (const bytes of [output, withInvalid]) {
    for (let cut = 1; cut < bytes.length; cut += 1) {
      const expected = written([secret], bytes, [cut]);
      const { log, text } = byteCollectingLog([secret]);
      log.output(bytes.subarray(0, cut));
      log.output(bytes.subarray(cut));
      log.flushOutput();
      assert.equal(text(), expected, `cut at ${cut}`);
      assert.ok(!text().includes(secret));
    }
  }
});

test('whole lines with no secret go to a byte sink as bytes; a line with one is masked as text', () => {
  const { log, text, byteWrites } = byteCollectingLog(['hunter2']);
  log.output(Buffer.from('plain line\nanother\n'));
  assert.equal(byteWrites(), 1);
  log.output(Buffer.from('the hunter2 line\n'));
  assert.equal(byteWrites(), 1);
  log.flushOutput();
  assert.equal(text(), 'plain line\nanother\nthe *** line\n');
});

test('a character cut by the 64 KiB flush of a long line comes out whole', () => {
  const line = Buffer.from('é'.repeat(40_000) + '\n');
  for (const cut of [65_537, 65_538, 65_539, 70_001]) {
    const text = written([], line, [cut]);
    assert.ok(text.split('\n').length > 2, 'the line went out in pieces');
    assert.equal(text.replaceAll('\n', ''), 'é'.repeat(40_000));
  }
});
