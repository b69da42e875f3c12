"""Safetensors files with the standard library only (DESIGN.md §3.3): an 8-byte little-endian
header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then
the raw little-endian data. The bridge must run where the `safetensors` package is absent."""
import json
import struct

ITEM_SIZE = {"F32": 4, "F16": 2, "BF16": 2, "U8": 1, "I32": 4, "I64": 8, "F64": 8}


class Tensor:
    """One tensor of a file: its dtype name, shape and a memoryview of its bytes."""

    def __init__(self, dtype, shape, data):
        self.dtype = dtype
        self.shape = list(shape)
        self.data = data

    def numel(self):
        n = 1
        for d in self.shape:
            n *= d
        return n


def read(path):
    """Returns ({name: Tensor}, metadata). The views share one bytearray (writable, so torch can
    wrap it without a copy). Raises ValueError on a malformed file."""
    with open(path, "rb") as f:
        image = bytearray(f.read())
    if len(image) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (header_len,) = struct.unpack_from("<Q", image, 0)
    if 8 + header_len > len(image):
        raise ValueError(f"{path}: header length {header_len} runs past the end of the file")
    header = json.loads(bytes(image[8:8 + header_len]).decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    data = memoryview(image)[8 + header_len:]
    tensors = {}
    for name, entry in header.items():
        dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        t = Tensor(dtype, shape, data[begin:end])
        if dtype not in ITEM_SIZE or end - begin != t.numel() * ITEM_SIZE[dtype] or end > len(data):
            raise ValueError(f"{path}: tensor {name} ({dtype} {shape}) does not match its offsets")
        tensors[name] = t
    return tensors, metadata


def write(path, tensors, metadata=None):
    """Writes [(name, dtype, shape, bytes-like)] in order; the header is padded with spaces so
    the data starts 8-byte aligned."""
    header = {}
    offset = 0
    for name, dtype, shape, data in tensors:
        size = memoryview(data).nbytes
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, data in tensors:
            f.write(data)
