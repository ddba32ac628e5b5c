import { create } from "@bufbuild/protobuf";
import { ReasoningStepSchema, type ReasoningStage, type ReasoningStep } from "@mirage/contracts";

/** The steps of one examination, handed to the listener the moment each is made. */
export interface Trace {
  readonly steps: readonly ReasoningStep[];
  add(stage: ReasoningStage, text: string): ReasoningStep;
}

/** Starts a trace; `onStep` (AnalyzeStream's sender) sees every step in order, as it is added. */
export function createTrace(onStep?: (step: ReasoningStep) => void): Trace {
  const steps: ReasoningStep[] = [];
  return {
    steps,
    add(stage, text) {
      const step = create(ReasoningStepSchema, { stage, text });
      steps.push(step);
      onStep?.(step);
      return step;
    },
  };
}
