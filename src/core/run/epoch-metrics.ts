/** What one epoch of training measured (kept in checkpoints and the training summary). */
export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  /** On the validation split (runs with one). */
  valLoss?: number;
  valAccuracy?: number;
  /** The learning rate of the epoch's last step (runs that reduce it on a plateau). */
  learningRate?: number;
  /** Wall time of the epoch's training steps (not evaluation or checkpointing). */
  trainSeconds: number;
  /** Live tfjs tensors in each worker after the epoch (flat across epochs = no leak). */
  liveTensors: number[];
}
