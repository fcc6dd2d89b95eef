#include "proto/xml/error.hpp"

#include <string>

namespace boshmux::proto::xml {

namespace {

/// The category behind xml::error.
class xml_category final : public std::error_category {
public:
  const char* name() const noexcept override { return "boshmux.xml"; }

  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
    case error::not_well_formed:
      return "XML is not well-formed";
    case error::restricted_xml:
      return "restricted XML (comment, processing instruction, DOCTYPE or entity declaration)";
    case error::undefined_entity:
      return "reference to an undefined entity";
    case error::element_too_large:
      return "XML element exceeds the size limit";
    case error::header_too_large:
      return "XML stream header exceeds the size limit";
    case error::too_deep:
      return "XML elements nest deeper than the limit";
    case error::too_many_attributes:
      return "XML element has more attributes than the limit";
    case error::duplicate_attribute:
      return "XML element repeats an attribute";
    }
    return "unknown boshmux.xml error";
  }
};

} // namespace

const std::error_category& error_category() noexcept {
  static const xml_category category;
  return category;
}

} // namespace boshmux::proto::xml
