import {
  EARLY_STOPPING_START,
  type EarlyStoppingOptions,
  type EarlyStoppingState,
  earlyStoppingStep,
} from "./early-stopping.ts";
import type { EpochLogs } from "./monitor.ts";
import {
  type ReduceLrOnPlateauOptions,
  type ReduceLrOnPlateauState,
  reduceLrStart,
  reduceLrStep,
} from "./reduce-lr-on-plateau.ts";
import { SAVE_BEST_START, type SaveBestState, saveBestStep } from "./save-best.ts";

export type { EpochLogs } from "./monitor.ts";

/** The callbacks a run was asked for (each as Keras configures it). */
export interface CallbackConfig {
  readonly earlyStopping?: EarlyStoppingOptions;
  /** ModelCheckpoint(save_best_only=True): the saved model is the best epoch's. */
  readonly saveBest?: { readonly monitor: string };
  readonly reduceLrOnPlateau?: ReduceLrOnPlateauOptions;
}

/** Every callback's state, as plain JSON for the checkpoint. */
export interface CallbackStates {
  readonly earlyStopping?: EarlyStoppingState;
  readonly saveBest?: SaveBestState;
  readonly reduceLrOnPlateau?: ReduceLrOnPlateauState;
}

/** What the callbacks decided after an epoch. */
export interface EpochDecision {
  /** Stop training after this epoch. */
  readonly stop: boolean;
  /** Train on at this learning rate (it was reduced). */
  readonly learningRate?: number;
}

/** Weight copies the callbacks keep: early stopping's best (to restore) and the best to save. */
export type WeightCopyName = "restoreBest" | "saveBest";

/** Why the run ended. */
export type StopReport =
  | { readonly reason: "epochs"; readonly epoch: number }
  | {
      readonly reason: "early stopping";
      /** The last epoch trained (1-based). */
      readonly epoch: number;
      readonly monitor: string;
      readonly patience: number;
      readonly best: number;
      readonly bestEpoch: number;
    };

/** Which epoch's weights something holds (1-based), and why that one. */
export interface WeightsReport {
  readonly epoch: number;
  readonly reason: "last epoch" | "restore best weights" | "save best";
}

/** What the run's end takes from the callbacks. */
export interface CallbackOutcome {
  readonly stop: StopReport;
  /** The weights the run returns. */
  readonly kept: WeightsReport & { readonly params: Float32Array };
  /** The weights the saved model holds. */
  readonly saved: WeightsReport & { readonly params: Float32Array };
}

/**
 * The run's epoch-end callbacks (Keras-like: each gets the epoch's logs and returns its
 * decision). Keeps their state and the weight copies they ask for, both of which a checkpoint
 * stores so a resumed run decides as the uninterrupted one would.
 */
export class EpochCallbacks {
  private states: CallbackStates;
  private readonly copies: Map<WeightCopyName, Float32Array>;
  private stoppedAt?: number;

  /** `learningRate`: the optimizer's, where reduce-on-plateau starts. */
  constructor(
    readonly config: CallbackConfig,
    learningRate: number,
    resumed?: { states: CallbackStates; copies: ReadonlyMap<WeightCopyName, Float32Array> },
  ) {
    this.states = {
      ...(config.reduceLrOnPlateau
        ? {
            reduceLrOnPlateau: resumed?.states.reduceLrOnPlateau ?? reduceLrStart(learningRate),
          }
        : {}),
      ...(config.earlyStopping
        ? { earlyStopping: resumed?.states.earlyStopping ?? EARLY_STOPPING_START }
        : {}),
      ...(config.saveBest ? { saveBest: resumed?.states.saveBest ?? SAVE_BEST_START } : {}),
    };
    this.copies = new Map(resumed?.copies);
  }

  /**
   * After epoch `epoch` (0-based): runs each callback on the logs, copies the weights a
   * callback wants kept (`params` is read only then).
   */
  onEpochEnd(epoch: number, logs: EpochLogs, params: () => Float32Array): EpochDecision {
    const { earlyStopping, saveBest, reduceLrOnPlateau } = this.config;
    let stop = false;
    if (earlyStopping && this.states.earlyStopping) {
      const step = earlyStoppingStep(earlyStopping, this.states.earlyStopping, epoch, logs);
      this.states = { ...this.states, earlyStopping: step.state };
      if (step.decision.improved && earlyStopping.restoreBestWeights) {
        this.copies.set("restoreBest", params().slice());
      }
      stop = step.decision.stop;
    }
    if (saveBest && this.states.saveBest) {
      const step = saveBestStep(saveBest.monitor, this.states.saveBest, epoch, logs);
      this.states = { ...this.states, saveBest: step.state };
      if (step.improved) this.copies.set("saveBest", params().slice());
    }
    if (stop) this.stoppedAt = epoch;
    const plateau = this.states.reduceLrOnPlateau;
    if (!reduceLrOnPlateau || !plateau) return { stop };
    const next = reduceLrStep(reduceLrOnPlateau, plateau, logs);
    this.states = { ...this.states, reduceLrOnPlateau: next };
    return next.learningRate === plateau.learningRate
      ? { stop }
      : { stop, learningRate: next.learningRate };
  }

  /** The learning rate reduce-on-plateau has set (undefined without it). */
  get learningRate(): number | undefined {
    return this.states.reduceLrOnPlateau?.learningRate;
  }

  /** The state to checkpoint. */
  state(): { states: CallbackStates; copies: ReadonlyMap<WeightCopyName, Float32Array> } {
    return { states: this.states, copies: this.copies };
  }

  /** After the last epoch (0-based `lastEpoch`, whose weights are `params`). */
  outcome(lastEpoch: number, params: Float32Array): CallbackOutcome {
    const last = { epoch: lastEpoch + 1, reason: "last epoch" as const, params };
    const early = this.config.earlyStopping;
    const stop = this.stopReport(lastEpoch);
    // Keras restores the best weights when it stops the run, not after the last epoch.
    const restore = this.copies.get("restoreBest");
    const kept =
      stop.reason === "early stopping" && early?.restoreBestWeights && restore
        ? { epoch: stop.bestEpoch, reason: "restore best weights" as const, params: restore }
        : last;
    const best = this.copies.get("saveBest");
    const bestEpoch = this.states.saveBest?.bestEpoch;
    const saved =
      best && bestEpoch != null
        ? { epoch: bestEpoch + 1, reason: "save best" as const, params: best }
        : kept;
    return { stop, kept, saved };
  }

  private stopReport(lastEpoch: number): StopReport {
    const early = this.config.earlyStopping;
    const { best = null, bestEpoch = null } = this.states.earlyStopping ?? {};
    if (this.stoppedAt === undefined || !early || best === null || bestEpoch === null) {
      return { reason: "epochs", epoch: lastEpoch + 1 };
    }
    const { monitor, patience } = early;
    const epoch = lastEpoch + 1;
    return { reason: "early stopping", epoch, monitor, patience, best, bestEpoch: bestEpoch + 1 };
  }
}

/** An epoch's logs by Keras's names, from shardfit's epoch metrics. */
export function epochLogs(metrics: {
  trainLoss: number;
  trainAccuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Keras's History keys of the epoch (`loss`, `mae`, `val_mae`, …), when the run has them. */
  metrics?: Record<string, number>;
}): EpochLogs {
  return {
    loss: metrics.trainLoss,
    accuracy: metrics.trainAccuracy,
    ...(metrics.valLoss !== undefined ? { val_loss: metrics.valLoss } : {}),
    ...(metrics.valAccuracy !== undefined ? { val_accuracy: metrics.valAccuracy } : {}),
    ...metrics.metrics,
  };
}
