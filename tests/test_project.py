"""Registry validation against the real lock: typo'd tiny settings and families the model cannot be fed as."""

from __future__ import annotations

from pathlib import Path

from conftest import run_hfguard


def test_misspelt_tiny_settings_are_refused_at_their_line(project_dir: Path) -> None:
    (project_dir / "hfguard.toml").write_text(
        '[models.t5]\ntiny = { d_modle = 32 }\n\n[models.clip]\ntiny = { vision_config = { hidden_sizee = 16 } }\n'
        '\n[models.bert]\ntiny = { hidden_size = 16, num_labels = 3 }\n\n[models.siglip]\ntiny = { vision_config = 5 }\n'
    )
    result = run_hfguard("generate", cwd=project_dir)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "hfguard: hfguard.toml:2: tiny.d_modle of 't5' is not a setting of T5Config (did you mean 'd_model'?); "
        "a misspelt key would silently do nothing",
        "hfguard: hfguard.toml:5: tiny.vision_config.hidden_sizee of 'clip' is not a setting of CLIPVisionConfig "
        "(did you mean 'hidden_size'?); a misspelt key would silently do nothing",
        "hfguard: hfguard.toml:11: tiny.vision_config of 'siglip' is a sub-config: give a table of SiglipVisionConfig settings, "
        "e.g. { hidden_size = 16 }",
    ]
    assert not (project_dir / "tests").exists()


def test_a_family_the_forward_cannot_be_fed_as_is_refused(project_dir: Path) -> None:
    (project_dir / "hfguard.toml").write_text('[models.vit]\nfamily = "speech"\n\n[models.gpt2]\nfamily = "encoder-only"\n')
    result = run_hfguard("generate", cwd=project_dir)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "hfguard: hfguard.toml:2: family 'speech' does not fit 'vit': its forward (ViTForImageClassification) takes "
        "pixel_values, but 'speech' feeds one of audio_codes, audio_mel, audio_values, input_features, input_values; "
        "families that fit: vision, vision-dense, video",
    ]
    verify = run_hfguard("verify", cwd=project_dir)
    assert verify.returncode == 2 and "family 'speech' does not fit 'vit'" in verify.stderr


def test_every_model_type_fits_its_own_family_and_the_lock_carries_its_facts(real_catalogue) -> None:
    from hfguard.catalogue import family_misfit

    generatable = [info for info in real_catalogue.standalone() if info.generatable]
    assert all(family_misfit(info, info.family) is None for info in generatable)
    assert "d_model" in real_catalogue.get("t5").config_keys.split() and "num_labels" in real_catalogue.common_config_keys
    assert real_catalogue.get("clip").sub_configs["vision_config"] == "clip_vision_model"
    known = [info for info in generatable if info.inputs is not None]
    assert len(known) >= 0.95 * len(generatable)
