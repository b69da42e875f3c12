#pragma once
// The report's text sections (HTML fragments): which files it shows, the state-format pairs and
// their plain-language summary, the results tables, the gates and their verdicts, and the
// machine and configuration of every run.
#include <string>

#include "report_input.hpp"

namespace bnb::app::report {

std::string runs_section(const ReportInput& in);
std::string summary_section(const ReportInput& in);
std::string compare_section(const ReportInput& in);
std::string results_section(const ReportInput& in);
std::string gates_section(const ReportInput& in);
std::string machine_section(const ReportInput& in);

}  // namespace bnb::app::report
