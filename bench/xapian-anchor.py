#!/usr/bin/env python3
"""Xapian anchor for bench/corpus-scale.ts: index a JSONL corpus ({id,title,text}) with English stemming
(title weighted 2x via wdf), then time OR queries (BM25, Xapian's default weighting) single-threaded.
Usage: xapian-anchor.py CORPUS.jsonl QUERIES.json DB_DIR TOPK  -> prints one JSON object."""
import json
import sys
import time

import xapian

corpus_path, queries_path, db_dir, topk = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
stemmer = xapian.Stem("english")
db = xapian.WritableDatabase(db_dir, xapian.DB_CREATE_OR_OVERWRITE)
indexer = xapian.TermGenerator()
indexer.set_stemmer(stemmer)
indexer.set_stemming_strategy(xapian.TermGenerator.STEM_SOME)
count = 0
started = time.perf_counter()
db.begin_transaction(False)
with open(corpus_path, encoding="utf-8") as handle:
    for line in handle:
        row = json.loads(line)
        doc = xapian.Document()
        indexer.set_document(doc)
        indexer.index_text(row["title"], 2)
        indexer.increase_termpos()
        indexer.index_text(row["text"])
        doc.set_data(row["id"])
        db.add_document(doc)
        count += 1
        if count % 100000 == 0:
            db.commit_transaction()
            db.begin_transaction(False)
db.commit_transaction()
db.commit()
build_seconds = time.perf_counter() - started

queries = json.load(open(queries_path, encoding="utf-8"))
parser = xapian.QueryParser()
parser.set_stemmer(stemmer)
parser.set_stemming_strategy(xapian.QueryParser.STEM_SOME)
parser.set_default_op(xapian.Query.OP_OR)
parser.set_database(db)
enquire = xapian.Enquire(db)
latencies = []
top_ids = []
for index, text in enumerate(queries):
    t0 = time.perf_counter()
    query = parser.parse_query(text, 0)
    enquire.set_query(query)
    matches = enquire.get_mset(0, topk)
    ids = [match.document.get_data() for match in matches]
    ids = [value.decode("utf-8") if isinstance(value, bytes) else value for value in ids]
    latencies.append((time.perf_counter() - t0) * 1000)
    top_ids.append(ids)
print(json.dumps({"passages": count, "buildSeconds": build_seconds, "latenciesMs": latencies, "topIds": top_ids}))
