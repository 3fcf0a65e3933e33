"""P-Net, R-Net and O-Net in PyTorch, with exactly libfiie's layer
semantics, and their conversion from and to the `.fiiem` model file.

libfiie runs the nets on upright images (NHWC, rows = image y): valid
stride-1 convolutions with per-channel PReLU, max pooling with Caffe's
ceil rounding (= PyTorch ceil_mode, no padding), fully connected layers
over the 3x3xC map. Here the nets take NCHW tensors of the same upright
crops, normalised as the cascade does ((v - 127.5) / 128).

The file stores the original (transposed-image) layout: conv kernels
[out, kh = image x, kw = image y, in], fully connected inputs indexed
(x * 3 + y) * C + c. load_* and export_* convert between the two, so a
round trip reproduces the file byte for byte.

Outputs: P-Net (face logits [N, 2, h, w], box regression [N, 4, h, w]),
R-Net (logits [N, 2], box [N, 4]), O-Net (logits [N, 2], box [N, 4],
landmarks [N, 10]: x1..x5 then y1..y5 relative to the crop). The face
probability libfiie thresholds is softmax(logits)[:, 1].
"""

import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "..")))
import fiiem  # noqa: E402  (models/fiiem.py, shared with the converter)

SIZES = {"pnet": 12, "rnet": 24, "onet": 48}


class PNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 10, 3), nn.PReLU(10)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(10, 16, 3), nn.PReLU(16)
        self.conv3, self.prelu3 = nn.Conv2d(16, 32, 3), nn.PReLU(32)
        self.conv4_1 = nn.Conv2d(32, 2, 1)
        self.conv4_2 = nn.Conv2d(32, 4, 1)

    def forward(self, x):
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.prelu2(self.conv2(x))
        x = self.prelu3(self.conv3(x))
        return self.conv4_1(x), self.conv4_2(x)


def _flatten_hwc_transposed(x):
    """[N, C, 3, 3] (C, y, x) -> [N, 9C] in the file's fc input order
    (x * 3 + y) * C + c."""
    return x.permute(0, 3, 2, 1).reshape(x.shape[0], -1)


class RNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 28, 3), nn.PReLU(28)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(28, 48, 3), nn.PReLU(48)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = nn.Conv2d(48, 64, 2), nn.PReLU(64)
        self.fc4, self.prelu4 = nn.Linear(576, 128), nn.PReLU(128)
        self.fc5_1 = nn.Linear(128, 2)
        self.fc5_2 = nn.Linear(128, 4)

    def forward(self, x):
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.prelu3(self.conv3(x))
        x = self.prelu4(self.fc4(_flatten_hwc_transposed(x)))
        return self.fc5_1(x), self.fc5_2(x)


class ONet(nn.Module):
    def __init__(self, dropout=0.0):
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 32, 3), nn.PReLU(32)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(32, 64, 3), nn.PReLU(64)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = nn.Conv2d(64, 64, 3), nn.PReLU(64)
        self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv4, self.prelu4 = nn.Conv2d(64, 128, 2), nn.PReLU(128)
        self.fc5, self.prelu5 = nn.Linear(1152, 256), nn.PReLU(256)
        self.drop = nn.Dropout(dropout)
        self.fc6_1 = nn.Linear(256, 2)
        self.fc6_2 = nn.Linear(256, 4)
        self.fc6_3 = nn.Linear(256, 10)

    def forward(self, x):
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.pool3(self.prelu3(self.conv3(x)))
        x = self.prelu4(self.conv4(x))
        x = self.drop(self.prelu5(self.fc5(_flatten_hwc_transposed(x))))
        return self.fc6_1(x), self.fc6_2(x), self.fc6_3(x)


NETS = {"pnet": PNet, "rnet": RNet, "onet": ONet}


def new_net(name):
    if name not in NETS:
        raise ValueError("unknown net %r (pnet, rnet or onet)" % name)
    return NETS[name]()


# ---------------------------------------------------------------- file <-> torch

def _file_tensors(net_name, net):
    """(file name, parameter, kind) of one net, in file order; kind is
    'conv', 'fc' or 'vec'."""
    out = []
    for mod_name, mod in net.named_children():
        prefix = "%s.%s" % (net_name, mod_name)
        if isinstance(mod, nn.Conv2d):
            out += [(prefix + ".weight", mod.weight, "conv"), (prefix + ".bias", mod.bias, "vec")]
        elif isinstance(mod, nn.Linear):
            out += [(prefix + ".weight", mod.weight, "fc"), (prefix + ".bias", mod.bias, "vec")]
        elif isinstance(mod, nn.PReLU):
            out.append((prefix + ".alpha", mod.weight, "vec"))
    return out


def _to_torch(kind, shape, raw):
    a = np.frombuffer(raw, dtype="<f4").reshape(shape)
    if kind == "conv":  # [o, x, y, c] -> [o, c, y, x]
        a = a.transpose(0, 3, 2, 1)
    return torch.from_numpy(np.ascontiguousarray(a).astype(np.float32))


def _to_file(kind, p):
    a = p.detach().cpu().numpy().astype("<f4")
    if kind == "conv":  # [o, c, y, x] -> [o, x, y, c]
        a = a.transpose(0, 3, 2, 1)
    return list(a.shape), np.ascontiguousarray(a).tobytes()


def load_nets(path_or_bytes, names=("pnet", "rnet", "onet")):
    """{name: net} with the weights of a .fiiem file (path or bytes)."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        data = bytes(path_or_bytes)
    else:
        with open(path_or_bytes, "rb") as f:
            data = f.read()
    tensors = {n: (s, r) for n, s, r in fiiem.unpack(data)}
    nets = {}
    for name in names:
        net = new_net(name)
        with torch.no_grad():
            for fname, param, kind in _file_tensors(name, net):
                if fname not in tensors:
                    raise fiiem.ModelFormatError("model has no tensor %s" % fname)
                shape, raw = tensors[fname]
                t = _to_torch(kind, shape, raw)
                if tuple(t.shape) != tuple(param.shape):
                    raise fiiem.ModelFormatError("%s: shape %s, expected %s"
                                                 % (fname, shape, tuple(param.shape)))
                param.copy_(t)
        nets[name] = net
    return nets


def export_model(nets):
    """Bytes of a .fiiem file holding the three nets (all must be given)."""
    tensors = []
    for name in ("pnet", "rnet", "onet"):
        if name not in nets:
            raise ValueError("export needs pnet, rnet and onet; %s is missing" % name)
        for fname, param, kind in _file_tensors(name, nets[name]):
            if not torch.isfinite(param).all():
                raise ValueError("%s holds non-finite values" % fname)
            shape, raw = _to_file(kind, param)
            tensors.append((fname, shape, raw))
    return fiiem.pack(tensors)


def save_model(nets, path):
    data = export_model(nets)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return len(data)


def face_prob(logits):
    """The face probability libfiie thresholds (softmax, class 1)."""
    return torch.softmax(logits, dim=1)[:, 1]
