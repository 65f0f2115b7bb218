/**
 * @module edge/geo/device
 * User-Agent → CloudFront's device headers (`CloudFront-Is-{Android,Desktop,IOS,Mobile,SmartTV,
 * Tablet}-Viewer`, spec 3.3). Several may be true at once (an iPhone is iOS and mobile). AWS does
 * not publish its rules, so these follow the documented categories with common UA conventions:
 * Android without the `Mobile` token is a tablet (Google's guidance to device makers), iPad is a
 * tablet, TVs are never phones or tablets, and anything unrecognized (or no UA) is a desktop.
 *
 * Each regex below runs at most once per UA, and results are cached per UA string.
 */
import { Lru } from './lru.js';

export interface DeviceFlags {
  android: boolean;
  desktop: boolean;
  ios: boolean;
  mobile: boolean;
  smartTv: boolean;
  tablet: boolean;
}

/** Precompiled tests, one per category. */
const RX = {
  smartTv:
    /SmartTV|SMART-TV|Smart TV|AppleTV|Apple TV|GoogleTV|Google TV|Android TV|HbbTV|Roku|CrKey|BRAVIA|Tizen[^;)]*TV|Web0S[^;)]*TV|webOS[^;)]*TV|NetCast|Opera TV|PhilipsTV|\bAFT[A-Z]{1,4}\b|Xbox|PlayStation/i,
  ios: /\b(?:iPhone|iPad|iPod)\b/,
  ipad: /\biPad\b/,
  android: /Android/i,
  androidMobile: /\bMobile\b/,
  tabletToken: /Tablet|PlayBook|Kindle|Silk\/|\bKF[A-Z]{2,4}\b|Nexus (?:7|9|10)\b/i,
  mobileToken:
    /iPhone|iPod|Windows Phone|IEMobile|BlackBerry|\bBB10\b|Opera Mini|Opera Mobi|Mobile Safari|\bMobile\b|webOS(?![^;)]*TV)|Symbian|Nokia|KaiOS/i,
} as const;

const DESKTOP: DeviceFlags = Object.freeze({
  android: false,
  desktop: true,
  ios: false,
  mobile: false,
  smartTv: false,
  tablet: false,
});

function classify(ua: string): DeviceFlags {
  if (ua === '') return DESKTOP;
  const smartTv = RX.smartTv.test(ua);
  const ios = !smartTv && RX.ios.test(ua);
  const android = !smartTv && RX.android.test(ua);
  let tablet = false;
  let mobile = false;
  if (!smartTv) {
    if (ios) tablet = RX.ipad.test(ua);
    else if (android) tablet = !RX.androidMobile.test(ua) || RX.tabletToken.test(ua);
    else tablet = RX.tabletToken.test(ua);
    // A tablet is not also reported as mobile here; AWS says "some tablets" get both, and
    // which ones is not documented (spec 3.3).
    mobile = !tablet && (android || RX.mobileToken.test(ua));
  }
  return Object.freeze({ android, desktop: !smartTv && !tablet && !mobile, ios, mobile, smartTv, tablet });
}

const cache = new Lru<string, DeviceFlags>(2_000);

/** Device flags for a User-Agent (undefined or empty → desktop). */
export function detectDevice(userAgent: string | undefined): DeviceFlags {
  if (!userAgent) return DESKTOP;
  let flags = cache.get(userAgent);
  if (!flags) {
    flags = classify(userAgent);
    // Keep enormous UAs out of the cache; they are rare and would only evict real ones.
    if (userAgent.length <= 1024) cache.set(userAgent, flags);
  }
  return flags;
}
