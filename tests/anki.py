"""What a real Anki collection makes of an exported package."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def import_into_anki(collection_path: Path, package: bytes, tmp_path: Path) -> Any:
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    package_path = tmp_path / "export.apkg"
    package_path.write_bytes(package)
    collection = Collection(str(collection_path))
    try:
        collection.import_anki_package(
            ImportAnkiPackageRequest(
                package_path=str(package_path),
                options=ImportAnkiPackageOptions(update_notes=1, merge_notetypes=True),
            )
        )
        notes = [collection.get_note(note_id) for note_id in collection.find_notes("")]
        return [(dict(note.items()), sorted(note.tags)) for note in notes]
    finally:
        collection.close()


def rendered_cards(collection_path: Path) -> list[tuple[str, str]]:
    """Anki's own rendering of every card of a collection: (question HTML, answer HTML)."""
    from anki.collection import Collection

    collection = Collection(str(collection_path))
    try:
        cards = [collection.get_card(card_id) for card_id in collection.find_cards("")]
        return [(card.question(), card.answer()) for card in cards]
    finally:
        collection.close()
