"""Reliability of project files and autosaves (issue #15, defects 2, 6 and 7), without Qt:
manipulated projects are refused with a message naming the file and the field, oversized images
and members are refused before they are decoded, and every crashed session's autosave survives
until the user decides."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from helpers import draw_parsing

from spt_core import skeleton as sk
from spt_core.errors import DataError
from spt_core.io_utils import MAX_IMAGE_PIXELS, check_image_pixels, read_image_rgb
from spt_studio.document import Document, PersonData, ProjectError, load_project, save_project
from spt_studio.document.autosave import Autosaver
from spt_studio.document.person_init import TEMPLATE_POSE_128x64

SIZE = (128, 64)
DEAD_PID = 2**22 + 777  # above Linux's pid_max: no process can have it
REPO = Path(__file__).resolve().parents[2]


def make_doc(shift: float = 0.0) -> Document:
    pose = TEMPLATE_POSE_128x64.copy() + 0.25 + shift
    image = np.random.default_rng(5).integers(0, 255, SIZE + (3,), dtype=np.uint8)
    doc = Document.from_person("a.png", image, pose, draw_parsing(pose, SIZE))
    doc.reference = PersonData("b.png", image[::-1].copy(), pose.copy(), draw_parsing(pose, SIZE))
    doc.result = image // 2
    return doc


def png_bytes(array: np.ndarray) -> bytes:
    import cv2

    return cv2.imencode(".png", array)[1].tobytes()


def huge_png(width: int = 20000, height: int = 20000) -> bytes:
    """A valid all-black grey PNG of ``width`` x ``height``: under a megabyte on disk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    packer = zlib.compressobj(9)
    rows = (b"\0" + bytes(width)) * 500
    pixels = b"".join(packer.compress(rows) for _ in range(height // 500)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def rewrite(source: Path, target: Path, meta=None, members=None) -> Path:
    """Copy a project, changing the manifest (``meta(dict)``) and members (name -> bytes or
    None to drop)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "project.json" and meta is not None:
                manifest = json.loads(data)
                data = meta(manifest) or manifest
                data = data if isinstance(data, bytes) else json.dumps(data).encode()
            if members and name in members:
                data = members[name]
                if data is None:
                    continue
            dst.writestr(name, data)
    return target


def claim_sizes(path: Path, claims: dict[str, int]) -> None:
    """Make the central directory claim that members unpack to the given sizes."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_len = int.from_bytes(data[at + 28 : at + 30], "little")
        name = data[at + 46 : at + 46 + name_len].decode()
        if name in claims:
            data[at + 24 : at + 28] = claims[name].to_bytes(4, "little")
        at = data.find(b"PK\x01\x02", at + 46)
    path.write_bytes(bytes(data))


def set_path(keys, value):
    def change(meta):
        target = meta
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def joint(which: str, j: int, point):
    def change(meta):
        (meta["reference"]["pose"] if which == "reference" else meta[which])[j] = point

    return change


SMALL = png_bytes(np.zeros((10, 10), np.uint8))
BAD_LABELS = png_bytes(np.full(SIZE, 12, np.uint8))

# (id, manifest change, member changes, what the message must name)
CORPUS = [
    ("settings-list", set_path(["settings"], [1, 2]), None, r"settings: expected an object"),
    ("settings-string", set_path(["settings"], "x"), None, r"settings"),
    ("mode-unknown", set_path(["settings", "mode"], "explode"), None, r"settings\.mode"),
    ("mode-number", set_path(["settings", "mode"], 3), None, r"settings\.mode"),
    ("bone-lock-string", set_path(["settings", "bone_lock"], "false"), None, r"bone_lock"),
    ("brush-huge", set_path(["settings", "brush_size"], 10**9), None, r"brush_size"),
    ("brush-bool", set_path(["settings", "brush_size"], True), None, r"brush_size"),
    ("opacity-string", set_path(["settings", "overlay_opacity"], "0.5"), None, r"opacity"),
    ("opacity-nan", set_path(["settings", "overlay_opacity"], float("nan")), None, r"opacity"),
    ("labels-out", set_path(["settings", "transfer_labels"], [99]), None, r"transfer_labels"),
    ("labels-dict", set_path(["settings", "transfer_labels"], {}), None, r"transfer_labels"),
    ("setting-unknown", set_path(["settings", "evil"], 1), None, r"settings\.evil"),
    ("reference-string", set_path(["reference"], "b.png"), None, r"reference"),
    ("reference-list", set_path(["reference"], [1]), None, r"reference"),
    ("pose-1e30", joint("target_pose", 3, [1e30, 5.0]), None, r"target_pose: joint 3"),
    ("pose-inf", joint("source_pose", 4, [float("inf"), 5.0]), None, r"source_pose: joint 4"),
    ("pose-nan", joint("source_pose", 5, [float("nan"), 5.0]), None, r"source_pose: joint 5"),
    ("pose-strings", joint("target_pose", 2, ["1", "2"]), None, r"target_pose: joint 2"),
    ("pose-three", joint("target_pose", 1, [1, 2, 3]), None, r"target_pose: joint 1"),
    ("pose-bools", joint("target_pose", 1, [True, False]), None, r"target_pose: joint 1"),
    ("pose-short", set_path(["target_pose"], [None] * 17), None, r"target_pose"),
    ("ref-pose-1e30", joint("reference", 0, [5.0, -1e30]), None, r"reference\.pose"),
    ("visible-strings", set_path(["target_visible"], ["false"] * 18), None, r"target_visible"),
    ("visible-ints", set_path(["target_visible"], [1] * 18), None, r"target_visible"),
    ("visible-string", set_path(["target_visible"], "false"), None, r"target_visible"),
    ("name-number", set_path(["name"], 42), None, r"name"),
    ("size-strings", set_path(["size"], ["a", 1]), None, r"size"),
    ("size-wrong", set_path(["size"], [10, 10]), None, r"size"),
    ("version-2", set_path(["version"], 2), None, r"version"),
    ("format-missing", lambda m: m.pop("format") and None, None, r"project\.json format"),
    ("manifest-list", lambda m: b"[1, 2]", None, r"project\.json format"),
    ("manifest-garbage", lambda m: b"{\xff", None, r"project\.json"),
    ("manifest-deep", lambda m: b"[" * 100000, None, r"project\.json"),
    ("ref-parsing-size", None, {"reference/parsing.png": SMALL}, r"reference/parsing\.png"),
    ("parsing-size", None, {"target_parsing.png": SMALL}, r"target_parsing\.png"),
    ("parsing-labels", None, {"source_parsing.png": BAD_LABELS}, r"source_parsing\.png"),
    ("image-garbage", None, {"image.png": b"\x89PNG garbage"}, r"image\.png"),
    ("image-missing", None, {"image.png": None}, r"image\.png is missing"),
    ("ref-image-missing", None, {"reference/image.png": None}, r"reference/image\.png"),
    ("result-garbage", None, {"result.png": b"nope"}, r"result\.png"),
]


@pytest.fixture(scope="module")
def valid_project(tmp_path_factory) -> Path:
    return save_project(make_doc(), tmp_path_factory.mktemp("valid") / "valid.sptproj")


@pytest.mark.parametrize(("case", "meta", "members", "field"), CORPUS, ids=[c[0] for c in CORPUS])
def test_manipulated_projects_are_refused_naming_file_and_field(
    valid_project, tmp_path, case, meta, members, field
):
    bad = rewrite(valid_project, tmp_path / f"{case}.sptproj", meta, members)
    with pytest.raises(ProjectError, match=rf"{case}\.sptproj: .*{field}"):
        load_project(bad)


def test_the_corpus_is_large_and_its_source_is_valid(valid_project, tmp_path):
    assert len(CORPUS) >= 20
    # The unchanged copy loads: the refusals above come from the manipulations alone.
    assert load_project(rewrite(valid_project, tmp_path / "same.sptproj")).same_content(make_doc())
    visible = load_project(
        rewrite(
            valid_project,
            tmp_path / "v.sptproj",
            meta=set_path(["target_visible"], [False] + [True] * 17),
        )
    )
    assert not visible.target_visible[sk.NOSE] and visible.target_visible[1:].all()


def test_a_member_claiming_a_huge_size_is_refused_before_reading(valid_project, tmp_path):
    bomb = rewrite(valid_project, tmp_path / "bomb.sptproj")
    claim_sizes(bomb, {"result.png": 0x2000_0000})
    with pytest.raises(ProjectError, match=r"bomb\.sptproj: result\.png unpacks to 536,870,912"):
        load_project(bomb)
    total = rewrite(valid_project, tmp_path / "total.sptproj")
    each = 0x1700_0000  # under the per-member limit, four of them over the total
    claim_sizes(
        total,
        dict.fromkeys(
            ["image.png", "result.png", "reference/image.png", "target_parsing.png"], each
        ),
    )
    with pytest.raises(ProjectError, match=r"total\.sptproj: the members unpack to"):
        load_project(total)


def test_a_real_zip_bomb_member_is_refused_quickly(valid_project, tmp_path):
    bomb = tmp_path / "deflated.sptproj"
    block = bytes(10_000_000)
    with zipfile.ZipFile(bomb, "w") as dst, zipfile.ZipFile(valid_project) as src:
        for name in src.namelist():
            if name != "result.png":
                dst.writestr(name, src.read(name))
        info = zipfile.ZipInfo("result.png")
        info.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(info, "w") as member:  # 450 MB of zeros in well under a megabyte
            for _ in range(45):
                member.write(block)
    assert bomb.stat().st_size < 1_000_000
    started = time.perf_counter()
    with pytest.raises(ProjectError, match=r"result\.png unpacks to 450,000,000 bytes"):
        load_project(bomb)
    assert time.perf_counter() - started < 1.0


@pytest.fixture(scope="module")
def huge_png_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("huge") / "huge.png"
    path.write_bytes(huge_png())
    assert path.stat().st_size < 2_000_000
    return path


def test_a_png_claiming_20000x20000_is_refused_quickly(huge_png_file):
    started = time.perf_counter()
    with pytest.raises(DataError, match=r"huge\.png: the image is 20000x20000 \(WxH\), 400 mega"):
        read_image_rgb(huge_png_file)
    assert time.perf_counter() - started < 2.0


def test_an_oversized_image_is_refused_when_opened_in_the_editor(huge_png_file):
    from spt_studio.document.person_init import document_from_image

    with pytest.raises(DataError, match="20000x20000"):
        document_from_image(huge_png_file)


def test_an_oversized_image_member_is_refused_before_decoding(
    valid_project, huge_png_file, tmp_path
):
    bad = rewrite(
        valid_project,
        tmp_path / "big.sptproj",
        members={"reference/image.png": huge_png_file.read_bytes()},
    )
    started = time.perf_counter()
    with pytest.raises(ProjectError, match=r"big\.sptproj: reference/image\.png: .*20000x20000"):
        load_project(bad)
    assert time.perf_counter() - started < 2.0


def test_the_pixel_limit_applies_to_other_formats_and_spares_small_images(tmp_path):
    import cv2

    jpeg = tmp_path / "photo.jpg"
    cv2.imwrite(str(jpeg), np.zeros((40, 30, 3), np.uint8))
    check_image_pixels(jpeg, jpeg)  # 1,200 pixels: fine
    with pytest.raises(DataError, match=r"photo\.jpg: the image is 30x40"):
        check_image_pixels(jpeg, jpeg, max_pixels=1000)
    assert read_image_rgb(jpeg).shape == (40, 30, 3)
    assert MAX_IMAGE_PIXELS == 100_000_000


# -- autosaves -------------------------------------------------------------------------------


def crash(saver: Autosaver) -> None:
    """Make ``saver``'s autosave look like one a killed session left."""
    info_path = saver.path.with_suffix(".json")
    info = json.loads(info_path.read_text())
    info["pid"] = DEAD_PID
    info_path.write_text(json.dumps(info))


def test_every_crashed_session_is_listed_newest_first_and_recoverable(tmp_path):
    older, newer = Autosaver(tmp_path), Autosaver(tmp_path)
    older.write(make_doc(0.0))
    time.sleep(0.01)
    newer.write(make_doc(1.0), project_path=tmp_path / "mine.sptproj")
    crash(older)
    crash(newer)
    entries = Autosaver(tmp_path).find_recoverable()
    assert [e.autosave for e in entries] == [newer.path, older.path]
    assert entries[0].load().same_content(make_doc(1.0))
    assert entries[1].load().same_content(make_doc(0.0))
    assert entries[0].project_path == tmp_path / "mine.sptproj"


def test_looking_and_cleaning_delete_no_autosave(tmp_path):
    saver = Autosaver(tmp_path)
    saver.write(make_doc())
    crash(saver)
    before = sorted(p.name for p in tmp_path.iterdir())
    for _ in range(2):  # two starts in which the user kept the autosave for later
        finder = Autosaver(tmp_path)
        assert finder.clean_stale() == []
        assert len(finder.find_recoverable()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_an_autosave_without_its_note_is_still_recoverable(tmp_path):
    # Killed after the autosave was renamed into place, before its note was written.
    autosave = save_project(make_doc(), tmp_path / f"{DEAD_PID}-abcdef12.sptproj")
    (tmp_path / f".{DEAD_PID}-abcdef12.json.x1y2.json").write_text("{")  # half a note
    finder = Autosaver(tmp_path)
    assert [p.name for p in finder.clean_stale()] == [f".{DEAD_PID}-abcdef12.json.x1y2.json"]
    entries = finder.find_recoverable()
    assert [e.autosave for e in entries] == [autosave]
    assert entries[0].load().same_content(make_doc())


@pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="process start times come from /proc (Linux)"
)
def test_a_reused_process_id_does_not_hide_a_crashed_session(tmp_path):
    saver = Autosaver(tmp_path)
    saver.write(make_doc())
    info_path = saver.path.with_suffix(".json")
    info = json.loads(info_path.read_text())
    assert info["started"] is not None  # recorded wherever /proc exists
    # The pid of a live process (pytest's parent) with another start time: a reused id.
    info["pid"], info["started"] = os.getppid(), "1"
    info_path.write_text(json.dumps(info))
    assert len(Autosaver(tmp_path).find_recoverable()) == 1


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[2])
    from test_reliability_projects import make_doc
    from spt_studio.document.autosave import Autosaver

    saver = Autosaver(sys.argv[1])
    for step in range(10**6):
        doc = make_doc(step % 7)
        saver.write(doc)
        print("written", step, flush=True)
    """
)


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.13])
def test_kill_9_while_autosaving_leaves_a_recoverable_autosave(tmp_path, delay):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "tests")]))
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path), str(Path(__file__).parent)],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert writer.stdout.readline().startswith("written")
        time.sleep(delay)  # somewhere inside a later write, most likely
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    finder = Autosaver(tmp_path)
    finder.clean_stale()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    entries = finder.find_recoverable()
    assert len(entries) == 1
    doc = entries[0].load()
    assert any(doc.same_content(make_doc(shift)) for shift in range(7))
