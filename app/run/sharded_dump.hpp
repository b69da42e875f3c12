#pragma once
// Dumps of a sharded run (docs/distributed.md): one checkpoint file per rank with that rank's
// range of every tensor (parameters and states; the shard metadata says which), plus an index
// naming the files. Any run can resume from one, whatever its number of ranks: the checkpoint of
// the ranges it needs is cut from the files and loaded like a single file.
#include <map>
#include <string>
#include <vector>

#include "bnb/optimizer.hpp"
#include "bnb/safetensors.hpp"

namespace bnb::app {

/// DIR/<label>.shards.json: the index of an entry's sharded dump.
std::string shard_index_path(const std::string& dir, const std::string& label);
/// DIR/<label>.rank<k>-of-<n>.safetensors: rank k's file.
std::string shard_file_path(const std::string& dir, const std::string& label, int rank, int ranks);

/// Writes the index of a dump whose rank files are written (their names relative to it).
void write_shard_index(const std::string& path, const std::string& label, int ranks);
/// The label an index was written for. DataError when it is not an index of a sharded dump.
std::string shard_index_label(const std::string& path);
bool is_shard_index(const std::string& path);

/// The checkpoint of `ranges` (per parameter name, the elements wanted) cut from a dump: an index
/// of a sharded dump, or one dump file (the whole tensors). DataError when the files do not cover
/// the ranges or disagree.
SafetensorsFile checkpoint_of_ranges(const std::string& dump, const std::map<std::string, ShardRange>& ranges);

}  // namespace bnb::app
