"""Predictors: units -> per-field predictions (rules, naive, a bundle), one interface for `pathx run`.

    base     the Predictor Protocol
    factory  make_predictor(engine, ...)
    simple   RulesPredictor, NaivePredictor
    bundle   BundlePredictor, LazyBundlePredictor
"""
