# embed_source.cmake: concatenate C sources into one text for embedding,
# each local #include "..." turned into a comment (the files it names are
# embedded before it). Usage:
#   cmake -DOUT=file -DFILES="a.h|b.h|c.c" -P embed_source.cmake
string(REPLACE "|" ";" files "${FILES}")
set(text "")
foreach(f ${files})
  file(READ "${f}" body)
  get_filename_component(name "${f}" NAME)
  string(REGEX REPLACE "\n#include \"([^\"]*)\"" "\n/* #include \"\\1\": embedded above */" body "\n${body}")
  string(APPEND text "\n/* ==== ${name} ==== */${body}")
endforeach()
file(WRITE "${OUT}.tmp" "${text}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
