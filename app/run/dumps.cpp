// Dumps and resumption of `bnb-bench run` (--dump, --resume): one checkpoint file per entry, or
// in a sharded run one per rank and an index (sharded_dump.hpp); either resumes any run.
#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "bnb/checkpoint.hpp"
#include "bnb/errors.hpp"
#include "entry_run.hpp"
#include "interrupt.hpp"
#include "runner.hpp"
#include "sharded_dump.hpp"

namespace bnb::app {

void dump_entry(const Config& c, EntryRun& e, const std::string& dir) {
  const std::string& label = e.entry->label;
  const std::map<std::string, std::string> metadata = {{"label", label},
                                                       {"run_name", c.name},
                                                       {"seed", std::to_string(c.seed)},
                                                       {"steps", std::to_string(c.workload.steps)},
                                                       {"workload", std::string(workload_kind_name(c.workload.kind))},
                                                       {"produced_by", "bnb-bench run"}};
  std::vector<const void*> ptrs;
  for (std::size_t i = 0; i < e.params.size(); ++i) ptrs.push_back(e.shards->local(i, e.params[i]));
  const InterruptsDeferred whole_file_or_nothing;
  if (const ProcessGroup* g = e.shards->group()) {
    save_checkpoint(*e.opt, ptrs, shard_file_path(dir, label, g->rank(), g->size()), metadata);
    g->broadcast(0);  // every rank's file is written before the index names it
    e.result.dump_file = shard_index_path(dir, label);
    if (g->is_root()) write_shard_index(e.result.dump_file, label, g->size());
  } else {
    e.result.dump_file = dump_file_path(dir, label);
    save_checkpoint(*e.opt, ptrs, e.result.dump_file, metadata);
  }
  e.opt->enforce_paged_budget();  // the dump read every state
}


void load_dump(EntryRun& e) {
  std::vector<void*> ptrs;
  for (std::size_t i = 0; i < e.params.size(); ++i) ptrs.push_back(e.shards->local(i, e.params[i]));
  if (!e.shards->sharded() && !is_shard_index(e.resume_file)) {
    load_checkpoint(*e.opt, ptrs, e.resume_file);
    return;
  }
  std::map<std::string, ShardRange> ranges;
  for (std::size_t i = 0; i < e.params.size(); ++i) ranges[e.opt->param(i).name] = e.shards->range(i);
  load_checkpoint(*e.opt, ptrs, checkpoint_of_ranges(e.resume_file, ranges));
  for (std::size_t i = 0; i < e.params.size(); ++i) e.shards->gather(i, e.params[i]);
}

std::string dump_file_path(const std::string& dir, const std::string& label) {
  return (std::filesystem::path(dir) / (label + ".safetensors")).string();
}

std::vector<std::string> resume_files(const Config& c, const std::string& resume) {
  for (const auto& e : c.optimizers) {
    if (e.peer) {
      throw ConfigError(fmt::format("--resume: {} ({}) is run by {}; peer entries cannot resume", e.path, e.label,
                                    e.peer->implementation));
    }
  }
  std::vector<std::string> files(c.optimizers.size());
  std::error_code ec;
  if (std::filesystem::is_directory(resume, ec)) {
    for (std::size_t k = 0; k < c.optimizers.size(); ++k) {
      std::string f = dump_file_path(resume, c.optimizers[k].label);
      if (const std::string index = shard_index_path(resume, c.optimizers[k].label);
          !std::filesystem::exists(f, ec) && std::filesystem::is_regular_file(index, ec)) {
        f = index;  // a sharded dump
      }
      if (!std::filesystem::is_regular_file(f, ec)) {
        throw ConfigError(fmt::format("--resume: {} has no dump for {} ({} is missing or not a regular file)", resume,
                                      c.optimizers[k].label, f));
      }
      files[k] = f;
    }
    return files;
  }
  if (!std::filesystem::is_regular_file(resume, ec)) {
    throw ConfigError(std::filesystem::exists(resume, ec)
                          ? fmt::format("--resume: {} is neither a dump directory nor a regular file", resume)
                          : fmt::format("--resume: no such file or directory: {}", resume));
  }
  const auto meta = is_shard_index(resume) ? std::map<std::string, std::string>{{"label", shard_index_label(resume)}}
                                           : checkpoint_metadata(resume);
  const auto it = meta.find("label");
  if (it == meta.end() && c.optimizers.size() != 1) {
    throw DataError(fmt::format("--resume: {} has no label in its metadata and the config has {} optimizer entries",
                                resume, c.optimizers.size()));
  }
  for (std::size_t k = 0; k < c.optimizers.size(); ++k) {
    if (it == meta.end() || c.optimizers[k].label == it->second) {
      files[k] = resume;
      return files;
    }
  }
  throw ConfigError(fmt::format("--resume: {} is a dump of \"{}\", which is not a label of this config", resume,
                                it->second));
}

}  // namespace bnb::app
