"""Training: labelled data, fit configuration and loop, recipes, metrics and evaluation.

    config       FitConfig (checked), TrainState, FitResult
    data         PromptExample, split, class weights, targets, the joint loss
    loop         train_steps: a generator of StepEvents
    checkpoints  save/load of a running fit (safetensors + JSON)
    progress     progress bar / log lines
    fit          fit(): orchestrates the above; evaluate_dir
    thresholds   review thresholds from the validation set
    metrics      per-task metrics, one-hot scoring of hard predictors
    labeled      `pathx fit` on labelled files; evaluation: `pathx eval`; recipes; labels
"""
