"""verification.face_index: exact while small, IVF once large; ids, removal, distance limits."""

import numpy as np
import pytest

from verification.face_index import (
    DIM,
    FaceIndex,
    brute_force_search,
    synthetic_descriptors,
    synthetic_photo,
)

SAME_PERSON = 0.6


def indexed(n: int, *, exact_max: int = 20_000, seed: int = 1):
    _, vectors = synthetic_descriptors(n, seed=seed)
    ids = np.arange(100, 100 + n)
    index = FaceIndex(exact_max=exact_max)
    index.add(ids, vectors)
    return index, ids, vectors


def test_another_photo_of_an_indexed_person_is_found_and_strangers_are_not():
    index, ids, vectors = indexed(500)
    photo = synthetic_photo(vectors[7:8], seed=2)[0]
    matches = index.search(photo, k=5, max_distance=SAME_PERSON)
    assert [m.id for m in matches] == [107]
    assert 0.2 < matches[0].distance < SAME_PERSON
    _, strangers = synthetic_descriptors(20, seed=99)
    assert all(index.search(face, k=5, max_distance=SAME_PERSON) == [] for face in strangers)


def test_the_index_switches_to_ivf_past_its_exact_size_and_keeps_every_face():
    index, ids, vectors = indexed(3000, exact_max=1000)
    assert index.kind == "ivf" and len(index) == 3000
    queries = synthetic_photo(vectors, seed=3)
    for query in queries[:300]:
        expected = brute_force_search(ids, vectors, query, k=1, max_distance=SAME_PERSON)
        assert [m.id for m in index.search(query, k=1, max_distance=SAME_PERSON)] == [m.id for m in expected]


def test_removed_faces_are_no_longer_found_in_either_kind():
    for exact_max in (20_000, 1000):
        index, ids, vectors = indexed(2000, exact_max=exact_max)
        assert index.remove([ids[5]]) == 1
        assert ids[5] not in index and len(index) == 1999
        assert index.search(vectors[5], k=3, max_distance=SAME_PERSON) == []
        assert [m.id for m in index.search(vectors[6], k=1, max_distance=SAME_PERSON)] == [ids[6]]


def test_adding_an_id_twice_keeps_one_entry():
    index, ids, vectors = indexed(50)
    index.add(ids[:10], vectors[:10])
    assert len(index) == 50


def test_k_and_the_distance_limit_bound_the_answer():
    base = np.zeros(DIM, np.float32)
    index = FaceIndex()
    index.add([1, 2, 3], [base, base + 0.02, base + 0.1])  # 0, 0.23 and 1.13 away
    assert [m.id for m in index.search(base, k=5, max_distance=0.6)] == [1, 2]
    assert [m.id for m in index.search(base, k=1, max_distance=0.6)] == [1]
    assert FaceIndex().search(base, k=3, max_distance=0.6) == []


@pytest.mark.parametrize("bad", [np.full(DIM, np.nan), np.zeros(DIM - 1)])
def test_a_malformed_descriptor_is_refused(bad):
    with pytest.raises(ValueError):
        FaceIndex().add([1], bad)
