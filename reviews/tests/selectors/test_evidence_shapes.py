"""review_evidence_shapes: every region a check reported, on the image it belongs to."""

from types import SimpleNamespace

from reviews.selectors import review_evidence_shapes

QUAD_FRONT = [[179.9, 143.3], [1380.2, 132.5], [1374.4, 877.3], [223.9, 844.5]]
QUAD_BACK = [[132.8, 168.3], [1300.8, 111.9], [1370.9, 815.8], [217.4, 879.8]]


def result(check_name, evidence, *, step="step1", outcome="passed"):
    return SimpleNamespace(check_name=check_name, evidence=evidence, step=step, outcome=outcome)


def test_sides_faces_barcode_mrz_and_glare_land_on_their_images():
    shapes = review_evidence_shapes(check_results=[
        result("document_detection", {"front": {"quad": QUAD_FRONT}, "back": {"quad": QUAD_BACK}}),
        result("glare_detected", {"front": {"document_quad": QUAD_FRONT,  # drawn once with the detection's
                                            "blob_polygon": [[10, 10], [50, 10], [30, 40]]}}, outcome="retry"),
        result("barcode", {"side": "back", "box": [[266, 375], [1207, 375], [1254, 795], [319, 841]]}),
        result("mrz", {"side": "front", "lines": [{"text": "P<POL", "box": [[0, 900], [900, 900], [900, 940], [0, 940]]}],
                       "failed_check_digits": [{"field": "expiry_date", "box": [[500, 950], [520, 950], [520, 990],
                                                                                 [500, 990]]}]}),
        result("face_detection", {"selfie_faces": [{"box": [247.6, 376.6, 635.7, 764.7],
                                                    "landmarks": [[566.0, 471.3], [494.2, 478.6]]}]}, step="step2"),
        result("face_compare", {"id_face": {"box": [311.0, 410.0, 461.0, 560.0]},
                                "selfie_face": {"box": [247.6, 376.6, 635.7, 764.7]}}, step="step2"),
    ])
    front = {(s.kind, s.label, s.failed) for s in shapes["id_front"]}
    assert ("outline", "document_detection: quad", False) in front
    assert ("region", "glare_detected: blob_polygon", True) in front
    assert ("line", "mrz: box", False) in front
    assert ("failure", "mrz: box", True) in front
    assert ("face", "face_compare: box", False) in front
    assert sum(1 for s in shapes["id_front"] if s.kind == "outline") == 1
    back = {(s.kind, s.label) for s in shapes["id_back"]}
    assert back == {("outline", "document_detection: quad"), ("box", "barcode: box")}
    selfie = {(s.kind, s.label) for s in shapes["selfie"]}
    assert ("points", "face_detection: landmarks") in selfie and ("face", "face_detection: box") in selfie
    box = next(s for s in shapes["selfie"] if s.kind == "face")
    assert box.points == ((247.6, 376.6), (635.7, 376.6), (635.7, 764.7), (247.6, 764.7))


def test_only_the_newest_run_of_a_check_is_drawn():
    shapes = review_evidence_shapes(check_results=[
        result("glare_detected", {"front": {"blob_polygon": [[1, 1], [2, 1], [2, 2]]}}, outcome="retry"),
        result("glare_detected", {"front": {"score": 100}}),
    ])
    assert shapes == {}


def test_values_that_are_not_regions_are_ignored():
    shapes = review_evidence_shapes(check_results=[
        result("printed_fields", {"box": "not a box", "regions": [], "lines": [{"box": [1, 2, 3]}], "score": 9}),
    ])
    assert shapes == {}
