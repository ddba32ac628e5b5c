import { classifySourceType, sourceTypeTerm } from "./internal/digital-source-type.js";
import { matchGenerativeTool } from "./internal/generative-tools.js";
import type { ProvenanceEvidence } from "./types.js";

/**
 * Turns c2pa-rs's manifest-store JSON into one `c2pa` evidence.
 *
 * - AI claim — an action whose digitalSourceType is trainedAlgorithmicMedia or
 *   compositeWithTrainedAlgorithmicMedia, or (older manifests) a `c2pa.created` action whose
 *   softwareAgent is a generative-AI tool (see generative-tools.ts) — in the active manifest or any
 *   ingredient manifest: weight 1, decisive. Also when validation failed: a signed declaration of
 *   AI is not something anyone forges against their own upload, and editing an AI image with a
 *   tool that does not re-sign it breaks the hash without making the image less generated.
 * - algorithmicMedia (made by an algorithm, no trained model): weight 0.6, not decisive.
 * - A capture (digitalCapture, computationalCapture) on the active manifest's created action with
 *   a valid signature: weight −0.3 (as strong as camera EXIF, a little more: it is signed, though
 *   with no trust list any certificate can sign it).
 * - Any other manifest: weight 0, so that the signer and validation status still reach the
 *   verdict for people to read.
 *
 * No trust list is configured: a valid signature is reported as "signature valid, certificate not
 * on a trust list", and a test certificate is never called trusted.
 */
export function c2paEvidence(storeJson: string): ProvenanceEvidence | { problem: string } {
  let store: unknown;
  try {
    store = JSON.parse(storeJson);
  } catch (error) {
    return {
      problem: `the C2PA reader returned unreadable JSON (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  if (!isRecord(store) || !isRecord(store.manifests))
    return { problem: "the C2PA manifest store holds no manifests" };
  const manifests = store.manifests;
  const activeLabel = typeof store.active_manifest === "string" ? store.active_manifest : undefined;
  const active = activeLabel === undefined ? undefined : manifests[activeLabel];
  if (!isRecord(active)) return { problem: "the C2PA manifest store has no active manifest" };

  const validation = validationOf(store);
  const activeClaims = claimsOf(active);
  // Ingredient manifests: every manifest in the store other than the active one.
  const ingredientClaims = Object.entries(manifests)
    .filter(([label, manifest]) => label !== activeLabel && isRecord(manifest))
    .flatMap(([, manifest]) =>
      claimsOf(manifest as Record<string, unknown>).map((claim) => ({
        ...claim,
        manifest: manifest as Record<string, unknown>,
      })),
    );

  const signer = signerOf(active);
  const details: Record<string, string> = {
    signer: signer.commonName ?? "unknown",
    validationState: validation.state,
    signatureValid: String(validation.signatureValid),
    trustList: "none configured",
    activeManifest: activeLabel ?? "",
    manifests: String(Object.keys(manifests).length),
  };
  if (signer.organization !== undefined) details.signerOrganization = signer.organization;
  if (signer.time !== undefined) details.signedAt = signer.time;
  const generator = claimGeneratorOf(active);
  if (generator !== undefined) details.claimGenerator = generator;
  if (validation.failures.length > 0) details.validationFailures = validation.failures.join(", ");

  const opening = `C2PA manifest signed by ${describeSigner(signer, validation.text)}`;
  const aiActive = activeClaims.find((claim) => claim.kind === "generative-ai");
  const aiIngredient = ingredientClaims.find((claim) => claim.kind === "generative-ai");
  const ai = aiActive ?? aiIngredient;
  if (ai !== undefined) {
    Object.assign(details, claimDetails(ai));
    let summary: string;
    if (aiActive !== undefined) {
      summary = `${opening} ${claimSentence(aiActive)}`;
      if (aiIngredient !== undefined) {
        const ingredientSigner = signerOf(aiIngredient.manifest);
        details.ingredientClaim =
          `${aiIngredient.action} ${aiIngredient.digitalSourceType ?? aiIngredient.tool ?? ""}`.trim();
        summary += `; an ingredient manifest signed by ${describeSigner(ingredientSigner)} ${claimSentence(aiIngredient)}`;
      }
    } else {
      const ingredientSigner = signerOf(aiIngredient!.manifest);
      details.claimSigner = ingredientSigner.commonName ?? "unknown";
      summary = `${opening} has an ingredient whose manifest, signed by ${describeSigner(ingredientSigner)}, ${claimSentence(aiIngredient!)}`;
    }
    return { kind: "c2pa", summary: `${summary}.`, weight: 1, decisive: true, details: clipAll(details) };
  }
  const algorithmic =
    activeClaims.find((claim) => claim.kind === "algorithmic") ??
    ingredientClaims.find((claim) => claim.kind === "algorithmic");
  if (algorithmic !== undefined) {
    Object.assign(details, claimDetails(algorithmic));
    return {
      kind: "c2pa",
      summary: `${opening} ${claimSentence(algorithmic)}.`,
      weight: 0.6,
      decisive: false,
      details: clipAll(details),
    };
  }
  const capture = activeClaims.find((claim) => claim.kind === "capture");
  const actions = activeClaims.map((claim) => claim.action).filter((action) => action !== "");
  if (actions.length > 0) details.actions = [...new Set(actions)].join(", ");
  if (capture !== undefined && validation.signatureValid && validation.state !== "Invalid") {
    Object.assign(details, claimDetails(capture));
    return {
      kind: "c2pa",
      summary: `${opening} ${claimSentence(capture)}.`,
      weight: -0.3,
      decisive: false,
      details: clipAll(details),
    };
  }
  const listed = actions.length > 0 ? ` (actions: ${[...new Set(actions)].slice(0, 6).join(", ")})` : "";
  return {
    kind: "c2pa",
    summary: `${opening} declares no AI generation${listed}.`,
    weight: 0,
    decisive: false,
    details: clipAll(details),
  };
}

type ClaimKind = "generative-ai" | "algorithmic" | "capture" | "none";

interface Claim {
  kind: ClaimKind;
  action: string;
  digitalSourceType?: string;
  softwareAgent?: string;
  /** The generative tool the softwareAgent names, when that is what made it an AI claim. */
  tool?: string;
}

/** The actions of a manifest, each classified. Handles c2pa.actions, c2pa.actions.v2 and the old "actions" label. */
function claimsOf(manifest: Record<string, unknown>): Claim[] {
  const assertions = Array.isArray(manifest.assertions) ? manifest.assertions : [];
  const claims: Claim[] = [];
  for (const assertion of assertions) {
    if (!isRecord(assertion) || typeof assertion.label !== "string") continue;
    if (!/^(c2pa\.)?actions(\.v\d+)?(__\d+)?$/.test(assertion.label)) continue;
    const data = assertion.data;
    const actions = Array.isArray(data)
      ? data
      : isRecord(data) && Array.isArray(data.actions)
        ? data.actions
        : [];
    for (const action of actions.slice(0, 1000)) {
      if (isRecord(action)) claims.push(classifyAction(action));
    }
  }
  return claims;
}

function classifyAction(action: Record<string, unknown>): Claim {
  const name = typeof action.action === "string" ? action.action : "";
  const parameters = isRecord(action.parameters) ? action.parameters : {};
  const sourceUri =
    typeof action.digitalSourceType === "string"
      ? action.digitalSourceType
      : typeof parameters.digitalSourceType === "string"
        ? parameters.digitalSourceType
        : undefined;
  const agent = softwareAgentOf(action.softwareAgent);
  const claim: Claim = { kind: "none", action: name };
  if (agent !== undefined) claim.softwareAgent = agent;
  if (sourceUri !== undefined) {
    const term = sourceTypeTerm(sourceUri);
    claim.digitalSourceType = term;
    const kind = classifySourceType(term);
    if (kind !== "other") claim.kind = kind;
  }
  if (claim.kind === "none" && name === "c2pa.created" && agent !== undefined) {
    const tool = matchGenerativeTool(agent);
    if (tool !== undefined) {
      claim.kind = "generative-ai";
      claim.tool = tool;
    }
  }
  return claim;
}

function softwareAgentOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (isRecord(value) && typeof value.name === "string")
    return typeof value.version === "string" ? `${value.name} ${value.version}` : value.name;
  return undefined;
}

function claimSentence(claim: Claim): string {
  const by = claim.softwareAgent === undefined ? "" : ` by "${claim.softwareAgent}"`;
  if (claim.tool !== undefined)
    return `says the image was created${by}, a generative AI tool (${claim.tool})`;
  const term = claim.digitalSourceType ?? "";
  switch (claim.kind) {
    case "generative-ai":
      return `declares digital source type ${term} on action ${claim.action}${by}: ${term.startsWith("composite") ? "composited with AI-generated content" : "generated by a trained AI model"}`;
    case "algorithmic":
      return `declares digital source type algorithmicMedia on action ${claim.action}${by}: created by an algorithm, not a camera`;
    case "capture":
      return `declares a camera capture (${term}) on action ${claim.action}${by}`;
    default:
      return `declares action ${claim.action}`;
  }
}

function claimDetails(claim: Claim): Record<string, string> {
  const details: Record<string, string> = { action: claim.action };
  if (claim.digitalSourceType !== undefined) details.digitalSourceType = claim.digitalSourceType;
  if (claim.softwareAgent !== undefined) details.softwareAgent = claim.softwareAgent;
  if (claim.tool !== undefined) details.generator = claim.tool;
  return details;
}

interface Signer {
  commonName?: string;
  organization?: string;
  time?: string;
}

/** c2pa-rs reports the certificate subject's CN as common_name and its O as issuer. */
function signerOf(manifest: Record<string, unknown>): Signer {
  const info = isRecord(manifest.signature_info) ? manifest.signature_info : {};
  const signer: Signer = {};
  if (typeof info.common_name === "string" && info.common_name !== "") signer.commonName = info.common_name;
  if (typeof info.issuer === "string" && info.issuer !== "") signer.organization = info.issuer;
  if (typeof info.time === "string") signer.time = info.time;
  return signer;
}

/** '"C2PA Signer" (C2PA Test Signing Cert; signature valid, …)': name, then organisation and status. */
function describeSigner(signer: Signer, status?: string): string {
  const name = signer.commonName ?? signer.organization;
  const notes: string[] = [];
  if (
    signer.commonName !== undefined &&
    signer.organization !== undefined &&
    signer.organization !== signer.commonName
  )
    notes.push(signer.organization);
  if (status !== undefined) notes.push(status);
  const quoted = name === undefined ? "an unnamed certificate" : `"${name}"`;
  return notes.length === 0 ? quoted : `${quoted} (${notes.join("; ")})`;
}

function claimGeneratorOf(manifest: Record<string, unknown>): string | undefined {
  const info = manifest.claim_generator_info;
  if (Array.isArray(info) && isRecord(info[0]) && typeof info[0].name === "string") return info[0].name;
  return typeof manifest.claim_generator === "string" ? manifest.claim_generator : undefined;
}

interface Validation {
  /** c2pa-rs validation_state: Invalid, Valid (signature and hashes good) or Trusted. */
  state: string;
  signatureValid: boolean;
  /** Failure codes other than the expected "signingCredential.untrusted". */
  failures: string[];
  text: string;
}

function validationOf(store: Record<string, unknown>): Validation {
  const state = typeof store.validation_state === "string" ? store.validation_state : "Unknown";
  const results =
    isRecord(store.validation_results) && isRecord(store.validation_results.activeManifest)
      ? store.validation_results.activeManifest
      : {};
  const codes = (list: unknown): string[] =>
    Array.isArray(list) ? list.filter(isRecord).map((entry) => String(entry.code ?? "")) : [];
  const success = codes(results.success);
  const failure = codes(results.failure);
  // Failures of ingredients land in the store's validation_status too.
  const status = codes(store.validation_status);
  const failures = [...new Set([...failure, ...status])].filter(
    (code) => code !== "signingCredential.untrusted" && code !== "",
  );
  const signatureFailed = failures.some(
    (code) => code.startsWith("claimSignature") || code.startsWith("signingCredential"),
  );
  const signatureValid = success.includes("claimSignature.validated") && !signatureFailed;
  let text: string;
  // "Valid" means signature and hashes check out; with no trust list configured it can never be "Trusted".
  if (state === "Trusted") text = "signature valid, signer on the configured trust list";
  else if (state === "Valid") text = "signature valid, certificate not on a trust list";
  else {
    const shown = failures.slice(0, 4).join(", ");
    text = `${signatureValid ? "signature valid but validation failed" : "validation failed"}${shown === "" ? "" : `: ${shown}`}; certificate not on a trust list`;
  }
  return { state, signatureValid, failures, text };
}

function clipAll(details: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(details).map(([key, value]) => [
      key,
      value.length > 300 ? `${value.slice(0, 299)}…` : value,
    ]),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
