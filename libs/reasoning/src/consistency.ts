import { regionName } from "@mirage/detector";
import type { Position } from "./grid.js";
import { argMax, argMin, quantile } from "./stats.js";
import { p2 } from "./text.js";

/** How well the crops of one image agree with each other. */
export interface Consistency {
  crops: number;
  /** Share of crops whose own calibrated pAi is confidently AI (≥ 0.75) / confidently real (≤ 0.25). */
  aiShare: number;
  realShare: number;
  /** Spread of the crops' calibrated log-odds, 90th minus 10th percentile. */
  spread: number;
  mostAi: { region: string; pAi: number; position: Position };
  mostReal: { region: string; pAi: number; position: Position };
  /** Both sides hold a sizeable share of crops: parts look generated, parts look real. */
  mixed: boolean;
  /** Mixed, or the spread is large: the crops disagree. */
  disagree: boolean;
  text: string;
}

/** A crop "confidently" on a side: its calibrated pAi beyond this distance from 0.5. */
const CONFIDENT = 0.25;
/** Each side holding at least this share of crops means the image is not of one piece. */
const MIXED_SHARE = 0.2;
/** A 10th-to-90th percentile spread of this many log-odds (odds × 55) is a large disagreement. */
const LARGE_SPREAD = 4;

/**
 * Local consistency of the pixel evidence: `pAis` are the calibrated per-crop pAi at `positions`
 * (each averaged over the views of that crop). A generated image tends to look generated
 * everywhere; a composite or local edit looks generated in places.
 */
export function readConsistency(
  positions: Position[],
  pAis: number[],
  size: number,
  image: { width: number; height: number },
): Consistency {
  const n = pAis.length;
  const aiShare = pAis.filter((p) => p >= 0.5 + CONFIDENT).length / n;
  const realShare = pAis.filter((p) => p <= 0.5 - CONFIDENT).length / n;
  const logOdds = pAis.map((p) => Math.log(Math.max(1e-6, p) / Math.max(1e-6, 1 - p)));
  const spread = n > 1 ? quantile(logOdds, 0.9) - quantile(logOdds, 0.1) : 0;
  const hi = argMax(pAis);
  const lo = argMin(pAis);
  const at = (i: number) => ({
    region: regionName({ ...positions[i]!, size }, image),
    pAi: pAis[i]!,
    position: positions[i]!,
  });
  const mostAi = at(hi);
  const mostReal = at(lo);
  const mixed = Math.min(aiShare, realShare) >= MIXED_SHARE;
  const disagree = n > 1 && (mixed || spread >= LARGE_SPREAD);
  const shares = `${Math.round(aiShare * 100)}% of crops confidently AI-like, ${Math.round(realShare * 100)}% confidently real-like`;
  const extremes =
    n > 1
      ? `; most AI-like in the ${mostAi.region} (${p2(mostAi.pAi)}), most real-like in the ${mostReal.region} (${p2(mostReal.pAi)})`
      : "";
  const verdict = mixed
    ? "the image is not of one piece: parts look generated and parts look real (a composite or local edit is possible)"
    : spread >= LARGE_SPREAD
      ? "the crops disagree strongly in degree"
      : "the crops tell one story";
  return {
    crops: n,
    aiShare,
    realShare,
    spread,
    mostAi,
    mostReal,
    mixed,
    disagree,
    text: `Local consistency over ${n} positions: ${shares}${extremes}; spread ${spread.toFixed(1)} log-odds: ${verdict}.`,
  };
}
