import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectDevice } from './device.js';
import type { DeviceFlags } from './device.js';

type Expect = Array<keyof DeviceFlags>;
const cases: Array<[string, string | undefined, Expect]> = [
  ['no UA', undefined, ['desktop']],
  ['empty UA', '', ['desktop']],
  [
    'Chrome on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    ['desktop'],
  ],
  [
    'Safari on macOS',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
    ['desktop'],
  ],
  ['curl', 'curl/8.4.0', ['desktop']],
  [
    'iPhone',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
    ['ios', 'mobile'],
  ],
  [
    'iPod touch',
    'Mozilla/5.0 (iPod touch; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
    ['ios', 'mobile'],
  ],
  [
    'iPad',
    'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
    ['ios', 'tablet'],
  ],
  [
    'Android phone',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36',
    ['android', 'mobile'],
  ],
  [
    'Android tablet',
    'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    ['android', 'tablet'],
  ],
  [
    'Kindle Fire (Silk)',
    'Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/119.3.1 like Chrome/119.0.6045.193 Safari/537.36',
    ['android', 'tablet'],
  ],
  [
    'Windows Phone',
    'Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0 Mobile Safari/537.36 Edge/15.15063',
    ['android', 'mobile'],
  ],
  [
    'Opera Mini',
    'Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25 Version/10.54',
    ['mobile'],
  ],
  [
    'Samsung Tizen TV',
    'Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 76.0.3809.146/6.0 TV Safari/537.36',
    ['smartTv'],
  ],
  [
    'LG webOS TV',
    'Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.79 Safari/537.36 WebAppManager',
    ['smartTv'],
  ],
  ['Roku', 'Roku4640X/DVP-7.70 (297.70E04154A)', ['smartTv']],
  [
    'Chromecast',
    'Mozilla/5.0 (X11; Linux armv7l) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.225 Safari/537.36 CrKey/1.56.500000',
    ['smartTv'],
  ],
  ['Apple TV', 'AppleTV11,1/11.1', ['smartTv']],
  [
    'Android TV (BRAVIA)',
    'Mozilla/5.0 (Linux; Android 9; BRAVIA 4K GB ATV3 Build/PTT1.190515.001.S52) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/86.0 Safari/537.36',
    ['smartTv'],
  ],
  ['HbbTV', 'HbbTV/1.2.1 (;Panasonic;VIERA 2015;3.012;0071-3103 2000-0000;)', ['smartTv']],
  [
    'Fire TV',
    'Mozilla/5.0 (Linux; Android 7.1.2; AFTMM Build/NS6265) AppleWebKit/537.36 (KHTML, like Gecko) Silk/80 like Chrome/80 Safari/537.36',
    ['smartTv'],
  ],
];

for (const [name, ua, expected] of cases) {
  test(`device: ${name}`, () => {
    const flags = detectDevice(ua);
    const on = (Object.keys(flags) as Array<keyof DeviceFlags>).filter((k) => flags[k]).sort();
    assert.deepEqual(on, [...expected].sort());
  });
}

test('device: the same UA gives the same answer twice (cached path)', () => {
  const ua = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Mobile/15E148';
  assert.deepEqual(detectDevice(ua), detectDevice(ua));
  assert.equal(detectDevice(ua).mobile, true);
});
