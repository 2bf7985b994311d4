"""Documents for the tampering tests: generated photos (cached), a rendered card, tiny ONNX models."""

import functools
import io

import cv2
import numpy as np
from PIL import Image

from verification.generator import generate_document
from verification.generator.card import card_front
from verification.generator.identity import identity_create, mrz_td3

KINDS = ("passport", "id_card", "drivers_license")
# The API validates issuing countries: use real ones (the generator's default issuer is fictional).
COUNTRIES = {"passport": "POL", "id_card": "POL", "drivers_license": "USA"}
ID_TYPES = {"passport": "passport", "id_card": "government_id", "drivers_license": "drivers_license"}


@functools.lru_cache(maxsize=256)
def generated(kind: str, seed: int, defect: str | None = None):
    """A generated document (same arguments, same bytes), cached across the test session."""
    return generate_document(kind, country=COUNTRIES[kind], seed=seed, defects=(defect,) if defect else ())


@functools.lru_cache(maxsize=16)
def synthetic_render(kind: str, seed: int, quality: int = 90) -> bytes:
    """A document image made by a program, no camera: card artwork composited on a smooth backdrop,
    slightly skewed, JPEG-encoded by a library - what a template-filling fraud tool exports."""
    rng = np.random.default_rng([seed, 77])
    identity = identity_create(kind, COUNTRIES[kind], rng=rng)
    side, _ = card_front(identity, rng=rng, mrz_lines=mrz_td3(identity) if kind == "passport" else None)
    card, alpha = side.image, side.alpha
    width, height = 1600, 1000
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.array(rng.uniform(90, 200, 3), np.float32)
    backdrop = base * (0.85 + 0.15 * (xx / width)[..., None]) * (0.9 + 0.1 * (yy / height)[..., None])
    h, w = card.shape[:2]
    half_w, half_h = 0.36 * width, 0.36 * width * h / w
    cx, cy = width / 2, height / 2
    source = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    target = np.float32([[cx - half_w, cy - half_h], [cx + half_w, cy - half_h + 12],
                         [cx + half_w - 8, cy + half_h], [cx - half_w + 6, cy + half_h - 10]])
    matrix = cv2.getPerspectiveTransform(source, target)
    warped = cv2.warpPerspective(card, matrix, (width, height), flags=cv2.INTER_LINEAR).astype(np.float32)
    mask = cv2.warpPerspective(alpha, matrix, (width, height), flags=cv2.INTER_LINEAR).astype(np.float32)[..., None]
    pixels = np.clip(backdrop * (1 - mask / 255) + warped * mask / 255, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def onnx_model(path, *, shape=(1, 3, 32, 32), body: str = "mean") -> str:
    """Write a tiny ONNX model to `path` and return its path (needs the `onnx` package).

    body="mean": one value, the mean of the input (a probability when the input is in [0, 1]);
    body="two_logits": [m, -m], two class logits from that mean m;
    body="constant": always 0.1, whatever the input.
    """
    import onnx
    from onnx import TensorProto, helper

    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, list(shape))
    nodes = [helper.make_node("ReduceMean", ["image"], ["m"], keepdims=0)]
    output = helper.make_tensor_value_info("score", TensorProto.FLOAT, [])
    if body == "mean":
        nodes.append(helper.make_node("Identity", ["m"], ["score"]))
    elif body == "two_logits":
        axis = helper.make_tensor("axis", TensorProto.INT64, [1], [0])
        nodes += [helper.make_node("Neg", ["m"], ["n"]),
                  helper.make_node("Constant", [], ["axis0"], value=axis),
                  helper.make_node("Unsqueeze", ["m", "axis0"], ["m1"]),
                  helper.make_node("Unsqueeze", ["n", "axis0"], ["n1"]),
                  helper.make_node("Concat", ["m1", "n1"], ["score"], axis=0)]
        output = helper.make_tensor_value_info("score", TensorProto.FLOAT, [2])
    elif body == "constant":
        zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
        tenth = helper.make_tensor("tenth", TensorProto.FLOAT, [], [0.1])
        nodes += [helper.make_node("Constant", [], ["z"], value=zero),
                  helper.make_node("Constant", [], ["t"], value=tenth),
                  helper.make_node("Mul", ["m", "z"], ["mz"]),
                  helper.make_node("Add", ["mz", "t"], ["score"])]
    else:
        raise ValueError(body)
    graph = helper.make_graph(nodes, body, [image], [output])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return str(path)
