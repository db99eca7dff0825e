"""Reference values for layers the shared fixtures do not cover, in the fixtures' modules format.

Run with PyTorch installed: python3 make_torch_layers.py > torch-layers.json
Inputs, weights and grad_outputs are float32 values; outputs and gradients are computed in float64
from them and rounded to float32 (as the shared fixtures).
"""
import json
import torch
import torch.nn as nn

torch.manual_seed(0)


def enc(t):
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "dtype": "bool", "data": [bool(v) for v in t.flatten().tolist()]}
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "dtype": "int64", "data": [int(v) for v in t.flatten().tolist()]}
    return {"shape": list(t.shape), "dtype": "float32", "data": [float(v) for v in t.float().flatten().tolist()]}


def f32(*shape, scale=1.0):
    return (torch.randn(shape) * scale).float()


cases = []


def case(name, ctor, init, inputs, mode="eval", grads_for=None, prep=None, forward_kwargs=None, rtol=1e-4, atol=1e-5):
    m = ctor(**init)
    if prep:
        prep(m)
    # round every parameter/buffer to float32 values, then compute in float64
    with torch.no_grad():
        for p in list(m.parameters()) + [b for b in m.buffers() if b.is_floating_point()]:
            p.copy_(p.float())
    sd = {k: enc(v) for k, v in m.state_dict().items()}
    m = m.double()
    m.train(mode == "train")
    xs = []
    for x in inputs:
        if x.is_floating_point():
            xd = x.double().requires_grad_(grads_for is None or len(xs) in grads_for)
        else:
            xd = x
        xs.append(xd)
    out = m(*xs, **(forward_kwargs or {}))
    outs = list(out) if isinstance(out, tuple) else [out]
    gos = [f32(*o.shape) if o.is_floating_point() else None for o in outs]
    loss = sum((o * g.double()).sum() for o, g in zip(outs, gos) if g is not None)
    loss.backward()
    after = {k: enc(v) for k, v in m.state_dict().items() if k in sd and not torch.equal(v.to(torch.float64 if v.is_floating_point() else v.dtype), decode_like(sd[k], v))}
    cases.append({
        "name": name,
        "module": "torch.nn." + type(m).__name__,
        "init": init,
        "mode": mode,
        "state_dict": sd,
        "inputs": [enc(x) for x in inputs],
        "forward_kwargs": forward_kwargs or {},
        "output_names": ["output"] if len(outs) == 1 else [f"output{i}" for i in range(len(outs))],
        "outputs": [enc(o.detach()) for o in outs],
        "grad_outputs": [enc(g) if g is not None else None for g in gos],
        "grads": {
            "inputs": [enc(x.grad) if isinstance(x, torch.Tensor) and x.is_floating_point() and x.grad is not None else None for x in xs],
            "params": {k: enc(p.grad) for k, p in m.named_parameters() if p.grad is not None},
        },
        "state_dict_after": after,
        "rtol": rtol,
        "atol": atol,
    })


def decode_like(e, like):
    t = torch.tensor(e["data"], dtype=torch.float64 if like.is_floating_point() else like.dtype).reshape(e["shape"])
    return t


case("conv1d_pad_stride", nn.Conv1d, {"in_channels": 3, "out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1}, [f32(2, 3, 9)])
case("conv1d_reflect_groups", nn.Conv1d, {"in_channels": 4, "out_channels": 2, "kernel_size": 3, "padding": 2, "groups": 2, "padding_mode": "reflect"}, [f32(2, 4, 7)])
case("conv2d_circular_same", nn.Conv2d, {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": "same", "padding_mode": "circular"}, [f32(1, 2, 5, 4)])
case("conv_transpose2d", nn.ConvTranspose2d, {"in_channels": 3, "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}, [f32(2, 3, 4, 4)])
case("conv_transpose2d_groups_dilation", nn.ConvTranspose2d, {"in_channels": 4, "out_channels": 2, "kernel_size": [2, 3], "groups": 2, "dilation": 2, "bias": False}, [f32(1, 4, 3, 3)])
case("maxpool2d", nn.MaxPool2d, {"kernel_size": 3, "stride": 2, "padding": 1}, [f32(2, 2, 7, 6)])
case("maxpool2d_ceil_dilation", nn.MaxPool2d, {"kernel_size": 2, "dilation": 2, "ceil_mode": True}, [f32(1, 2, 7, 7)])
case("avgpool2d_pad_exclude", nn.AvgPool2d, {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}, [f32(2, 2, 6, 5)])
case("avgpool2d", nn.AvgPool2d, {"kernel_size": 2}, [f32(1, 3, 4, 6)])
case("adaptive_avgpool2d", nn.AdaptiveAvgPool2d, {"output_size": [3, 2]}, [f32(2, 2, 7, 5)])
case("bilinear", nn.Bilinear, {"in1_features": 3, "in2_features": 4, "out_features": 5}, [f32(2, 3, 3), f32(2, 3, 4)])
case("groupnorm", nn.GroupNorm, {"num_groups": 2, "num_channels": 4}, [f32(3, 4, 5)])
case("groupnorm_no_affine", nn.GroupNorm, {"num_groups": 3, "num_channels": 6, "affine": False, "eps": 1e-3}, [f32(2, 6, 2, 3)])
case("batchnorm1d_train_cumulative", nn.BatchNorm1d, {"num_features": 3, "momentum": None}, [f32(4, 3, 5)], mode="train",
     prep=lambda m: (m.running_mean.copy_(torch.tensor([0.5, -1.0, 0.0])), m.running_var.copy_(torch.tensor([2.0, 0.5, 1.0])), m.num_batches_tracked.fill_(3)))
case("batchnorm1d_2d_input_train", nn.BatchNorm1d, {"num_features": 4}, [f32(6, 4)], mode="train")
case("batchnorm1d_no_stats", nn.BatchNorm1d, {"num_features": 3, "track_running_stats": False, "affine": False}, [f32(5, 3)], mode="eval")
case("instancenorm2d_affine", nn.InstanceNorm2d, {"num_features": 3, "affine": True}, [f32(2, 3, 4, 4)], mode="train")
case("layernorm_no_bias", nn.LayerNorm, {"normalized_shape": [5]}, [f32(2, 5)], prep=lambda m: None)
case("flatten", nn.Flatten, {}, [f32(2, 3, 2, 2)])
case("flatten_range", nn.Flatten, {"start_dim": 0, "end_dim": 1}, [f32(2, 3, 2)])
case("unflatten", nn.Unflatten, {"dim": 1, "unflattened_size": [2, 3]}, [f32(2, 6)])
for name, cls, init in [
    ("relu", nn.ReLU, {}), ("relu6", nn.ReLU6, {}), ("gelu", nn.GELU, {}), ("gelu_tanh", nn.GELU, {"approximate": "tanh"}),
    ("silu", nn.SiLU, {}), ("mish", nn.Mish, {}), ("tanh", nn.Tanh, {}), ("sigmoid", nn.Sigmoid, {}), ("logsigmoid", nn.LogSigmoid, {}),
    ("softmax", nn.Softmax, {"dim": 1}), ("logsoftmax", nn.LogSoftmax, {"dim": -1}), ("softmin", nn.Softmin, {"dim": 0}),
    ("leakyrelu", nn.LeakyReLU, {"negative_slope": 0.2}), ("elu", nn.ELU, {"alpha": 0.7}), ("celu", nn.CELU, {"alpha": 1.5}), ("selu", nn.SELU, {}),
    ("softplus", nn.Softplus, {"beta": 2, "threshold": 3}), ("softsign", nn.Softsign, {}), ("tanhshrink", nn.Tanhshrink, {}),
    ("hardtanh", nn.Hardtanh, {"min_val": -0.5, "max_val": 1.5}), ("hardsigmoid", nn.Hardsigmoid, {}), ("hardswish", nn.Hardswish, {}),
    ("glu", nn.GLU, {"dim": -1}), ("threshold", nn.Threshold, {"threshold": 0.1, "value": -2.0}), ("prelu", nn.PReLU, {"num_parameters": 3}),
]:
    case("act_" + name, cls, init, [f32(2, 3, 4, scale=2.5)])

# losses: inputs [input, target]; gradient for the input only
N, C = 4, 5
logits = f32(N, C)
classes = torch.tensor([1, 0, 4, 2])
classes_ign = torch.tensor([1, -100, 4, 2])
weight = torch.rand(C).float() + 0.5
probs = torch.rand(N, C).float().clamp(0.05, 0.95)
bin_t = (torch.rand(N, C) > 0.5).float()
case("loss_mse", nn.MSELoss, {}, [f32(3, 4), f32(3, 4)], grads_for=[0])
case("loss_mse_sum", nn.MSELoss, {"reduction": "sum"}, [f32(3, 4), f32(3, 4)], grads_for=[0])
case("loss_l1_none", nn.L1Loss, {"reduction": "none"}, [f32(3, 4), f32(3, 4)], grads_for=[0])
case("loss_smoothl1_beta", nn.SmoothL1Loss, {"beta": 0.5}, [f32(3, 4), f32(3, 4)], grads_for=[0])
case("loss_huber", nn.HuberLoss, {"delta": 0.7}, [f32(3, 4), f32(3, 4)], grads_for=[0])
case("loss_crossentropy", nn.CrossEntropyLoss, {}, [logits, classes], grads_for=[0])
case("loss_crossentropy_ignore_smooth", nn.CrossEntropyLoss, {"ignore_index": -100, "label_smoothing": 0.1}, [logits, classes_ign], grads_for=[0])
case("loss_crossentropy_probs", nn.CrossEntropyLoss, {}, [logits, torch.softmax(f32(N, C), 1).float()], grads_for=[0])
case("loss_nll", nn.NLLLoss, {"reduction": "sum"}, [torch.log_softmax(logits, 1).float(), classes], grads_for=[0])
case("loss_bce", nn.BCELoss, {}, [probs, bin_t], grads_for=[0])
case("loss_bce_logits", nn.BCEWithLogitsLoss, {}, [logits, bin_t], grads_for=[0])
case("loss_kldiv_batchmean", nn.KLDivLoss, {"reduction": "batchmean"}, [torch.log_softmax(logits, 1).float(), torch.softmax(f32(N, C), 1).float()], grads_for=[0])
case("loss_kldiv_logtarget", nn.KLDivLoss, {"reduction": "sum", "log_target": True}, [torch.log_softmax(logits, 1).float(), torch.log_softmax(f32(N, C), 1).float()], grads_for=[0])

# weighted losses carry their weight as a buffer: build by hand
def weighted(name, cls, init, inputs):
    def ctor(**kw):
        return cls(weight=weight.clone(), **kw)
    case(name, ctor, init, inputs, grads_for=[0])
    cases[-1]["module"] = "torch.nn." + cls.__name__

weighted("loss_crossentropy_weight", nn.CrossEntropyLoss, {}, [logits, classes_ign])
weighted("loss_nll_weight", nn.NLLLoss, {}, [torch.log_softmax(logits, 1).float(), classes])

print(json.dumps({"family": "torch_layers", "module": "various", "torch_version": torch.__version__, "cases": cases}))
