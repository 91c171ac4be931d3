"""Vision-language-action models (PI0 style robot policies): their real inputs.

Such a policy predicts a chunk of robot actions by flow matching: its forward takes the robot ``state``
(batch, max_state_dim), the noisy action chunk ``noise`` (batch, chunk_size, max_action_dim) and the
denoising ``timestep`` (batch,); it samples the last two at random when they are missing, so they are given
here, as its own ``sample_actions`` does. The prompt goes through a PaliGemma style vision-language model
whose image placeholder tokens take the camera images' features: one camera per sample
(batch, cameras, C, H, W) marked present by ``pixel_attention_mask`` (batch, cameras).

The outputs' ``logits`` are the predicted action velocities (batch, chunk_size, max_action_dim), not a
vocabulary distribution: the ``logits_dims`` hint of ``hfguard.testing.overrides`` says so for the shape check.
"""

from __future__ import annotations

from typing import Any

from hfguard.testing import synth


def action_inputs(model: Any, batch: int, seq: int, seed: int = 8) -> dict[str, Any] | None:
    """A prompt led by one camera image's placeholder tokens, that image, the robot state (where the policy reads
    one: PI0, not PI0.5), the noisy action chunk and its timestep; ``None`` for models that take no noisy actions."""
    import torch

    params = synth.forward_params(model)
    if not {"noise", "timestep", "pixel_attention_mask"} <= params:
        return None
    config = model.config
    vlm = config.vlm_config
    gen = synth.generator(seed)
    text = {"input_ids": synth.token_ids(vlm, (batch, seq)), "attention_mask": torch.ones(batch, seq, dtype=torch.long)}
    state = {"state": torch.randn(batch, config.max_state_dim, generator=gen)} if "state" in params else {}
    return {
        **synth.with_image_tokens(text, vlm.image_token_id, vlm.text_config.num_image_tokens),
        "pixel_values": synth.pixel_values(vlm, batch).unsqueeze(1),
        "pixel_attention_mask": torch.ones(batch, 1, dtype=torch.bool),
        **state,
        "noise": torch.randn(batch, config.chunk_size, config.max_action_dim, generator=gen),
        "timestep": torch.rand(batch, generator=gen),
    }
