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
  /**
   * Keras's History entry for the epoch: `loss` and each metric's key (`accuracy`, `mae`, …)
   * on the training data. The loss and accuracy are running means over the epoch's steps, as
   * Keras reports them; the other metrics are measured at the epoch's end.
   */
  metrics?: Record<string, number>;
  /** The loss and every metric on the test data, at the epoch's end (Keras's `evaluate`). */
  test?: Record<string, number>;
  /** Live tfjs tensors in each worker after the epoch (flat across epochs = no leak). */
  liveTensors: number[];
}
