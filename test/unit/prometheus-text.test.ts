/**
 * The test oracle for GET /metrics (test/helpers/prometheus-text.ts) refuses what the
 * exposition format forbids and reads what it allows, so a /metrics test built on it can fail.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';

const GOOD = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# A comment
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
`;

describe('Prometheus text parser (test oracle)', () => {
  it("reads the format specification's own example", () => {
    const families = parsePrometheusText(GOOD);
    assert.equal(families.get('http_requests_total')?.type, 'counter');
    assert.equal(sampleValue(families, 'http_requests_total', { code: '400' }), 3);
    assert.equal(sampleValue(families, 'msdos_file_access_time_seconds'), 1.458255915e9);
    assert.equal(families.get('msdos_file_access_time_seconds')?.samples[0]?.labels.error, 'Cannot find file:\n"FILE.TXT"');
    assert.equal(sampleValue(families, 'http_request_duration_seconds_count'), 144320);
  });

  const bad: [string, string][] = [
    ['no final line feed', 'a 1'],
    ['a bad metric name', '1a 1\n'],
    ['a bad value', 'a one\n'],
    ['an unterminated label value', 'a{b="c} 1\n'],
    ['an invalid escape', 'a{b="\\t"} 1\n'],
    ['a label twice', 'a{b="1",b="2"} 1\n'],
    ['a series twice', 'a{b="1"} 1\na{b="1"} 2\n'],
    ['TYPE after samples', 'a 1\n# TYPE a gauge\n'],
    ['an unknown type', '# TYPE a meter\n'],
    ['a negative counter', '# TYPE a counter\na -1\n'],
    ['lines of one metric apart', 'a{x="1"} 1\nb 1\na{x="2"} 1\n'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['buckets not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['_count unlike +Inf', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n'],
  ];
  for (const [name, text] of bad) {
    it(`refuses ${name}`, () => assert.throws(() => parsePrometheusText(text)));
  }
});
