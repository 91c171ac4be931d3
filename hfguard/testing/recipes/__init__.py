"""Input layouts of model families and of models that read their own, built on ``hfguard.testing.synth``.

Each recipe module imports ``synth`` (and other recipes), never the dispatcher ``hfguard.testing.inputs``.
"""
