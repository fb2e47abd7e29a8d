"""Changes to article records that keep their version: origins, story, names.

Each rewrites the article's metadata in Chroma (the record) and tells readers, as every write does
(``Store._changed``: this host's keyword-file change log, other hosts' change feed). None touches
chunks or vectors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from archive.storage.keyword_schema import EntityRow
from archive.storage.records import HASH_PREFIX, article_from, parts
from archive.types import Article


class MetadataWrites:
    """Mixed into ``Store``: uses its ``articles`` collection, ``keywords``, ``_batch`` and ``_changed``."""

    def add_origin(self, article_id: str, origin: str) -> None:
        """Record one more origin under which an article's exact content was seen."""
        res = self.articles.get(ids=[article_id], include=["metadatas"])
        if not res["ids"]:
            return
        meta = dict(res["metadatas"][0])
        origins = json.loads(meta.get("origins") or "[]")
        if origin not in origins:
            meta["origins"] = json.dumps(origins + [origin])
            meta["has_copies"] = True
            self.articles.update(ids=[article_id], metadatas=[meta])
            self._changed([article_id])

    def set_origins(self, article_id: str, origins: Sequence[str]) -> None:
        """Replace an article's list of origins (the first becomes its primary origin)."""
        res = self.articles.get(ids=[article_id], include=["metadatas"])
        if res["ids"] and origins:
            meta = dict(res["metadatas"][0], origin=origins[0], origins=json.dumps(list(origins)),
                        has_copies=len(origins) > 1)
            self.articles.update(ids=[article_id], metadatas=[meta])
            self._changed([article_id])

    def set_entities(self, found: Mapping[str, Sequence[tuple[str, str]]], versions: Mapping[str, str]) -> int:
        """Record the names found in articles (article id -> (kind, name) pairs), for the version each was
        read from (article id -> content hash); an article rewritten meanwhile is left for the next pass.
        Returns how many were recorded."""
        done = 0
        for part in parts(list(found), self._batch):
            res = self.articles.get(ids=part, include=["metadatas"])
            ids, metas = [], []
            for aid, meta in zip(res["ids"], res["metadatas"]):
                if meta.get("content_hash") != versions.get(aid):
                    continue
                ids.append(aid)
                metas.append(dict(meta, entities=json.dumps([list(e) for e in found[aid]]), named=True))
            if ids:
                self.articles.update(ids=ids, metadatas=metas)
                self.keywords.replace_entities(ids, [EntityRow(aid, versions[aid][:HASH_PREFIX], kind, name)
                                                     for aid in ids for kind, name in found[aid]])
                self._changed(ids)
                done += len(ids)
        return done

    def unnamed(self, limit: int = 0) -> list[str]:
        """Ids of articles whose names were not found yet (stored, then interrupted before the names pass)."""
        res = self.articles.get(where={"named": False}, include=[], limit=limit or None)
        return list(res["ids"])

    def set_story_ids(self, stories: dict[str, str]) -> None:
        """Move articles to other stories (article id -> story id)."""
        for part in parts(list(stories), self._batch):
            res = self.articles.get(ids=part, include=["metadatas"])
            metas = [dict(meta, story_id=stories[aid]) for aid, meta in zip(res["ids"], res["metadatas"])]
            if metas:
                self.articles.update(ids=list(res["ids"]), metadatas=metas)
            self._changed(part)

    def articles_with_copies(self) -> list[Article]:
        """Articles recorded under more than one origin (the same content found in several places).

        Archives from before the ``has_copies`` marker get it first, once.
        """
        if not self.keywords.has_flag("copies"):
            for article in self.iter_articles():
                if len(article.origins) > 1:
                    self.set_origins(article.id, article.origins)
            self.keywords.set_flag("copies")
        found: list[Article] = []
        while True:
            res = self.articles.get(where={"has_copies": True}, include=["metadatas"], limit=1000, offset=len(found))
            found += [article_from(aid, meta, "") for aid, meta in zip(res["ids"], res["metadatas"])]
            if len(res["ids"]) < 1000:
                return found
