"""Generated documents for the registry and ID liveness tests (cached per session), and a tiny ONNX model."""

import functools

from verification.generator import generate_document

# The API validates issuing countries against ISO 3166 (the generator's default issuer UTO is an
# ICAO example): HTTP tests use real ones, pipeline tests may use UTO.
HTTP_COUNTRIES = {"passport": "POL", "id_card": "POL", "drivers_license": "USA"}
ID_TYPES = {"passport": "passport", "id_card": "government_id", "drivers_license": "drivers_license"}
KINDS = ("passport", "id_card", "drivers_license")


@functools.lru_cache(maxsize=256)
def document(kind: str, seed: int = 0, defects: tuple[str, ...] = (), country: str | None = None):
    """A generated document; the same arguments give the same bytes."""
    return generate_document(kind, country=country, seed=seed, defects=defects)


def onnx_constant_model(path, value: float, *, shape=(1, 3, 32, 32)) -> str:
    """Write an ONNX model that answers `value` (a probability) for any input; returns its path."""
    import onnx
    from onnx import TensorProto, helper

    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, list(shape))
    score = helper.make_tensor_value_info("score", TensorProto.FLOAT, [])
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["m"], keepdims=0),
        helper.make_node("Constant", [], ["zero"], value=helper.make_tensor("z", TensorProto.FLOAT, [], [0.0])),
        helper.make_node("Constant", [], ["v"], value=helper.make_tensor("c", TensorProto.FLOAT, [], [value])),
        helper.make_node("Mul", ["m", "zero"], ["mz"]),
        helper.make_node("Add", ["mz", "v"], ["score"]),
    ]
    graph = helper.make_graph(nodes, "constant", [image], [score])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return str(path)
