from core.diffs import side_by_side


def test_equal_removed_added_and_changed_lines_are_paired_side_by_side():
    diff = side_by_side("keep\ngone\nold one\nold two\nend", "keep\nnew one\nend\nadded")
    assert [(r.kind, r.old_number, r.old, r.new_number, r.new) for r in diff.rows] == [
        ("equal", 1, "keep", 1, "keep"),
        ("changed", 2, "gone", 2, "new one"),
        ("changed", 3, "old one", None, None),
        ("changed", 4, "old two", None, None),
        ("equal", 5, "end", 3, "end"),
        ("added", None, None, 4, "added"),
    ]
    assert diff.changed and (diff.removed, diff.added) == (3, 2)


def test_line_endings_do_not_count_as_changes_and_empty_texts_diff():
    assert not side_by_side("a\r\nb", "a\nb").changed
    assert [r.kind for r in side_by_side("", "new").rows] == ["added"]
    assert [r.kind for r in side_by_side("old", "").rows] == ["removed"]
    assert side_by_side("", "").rows == []
