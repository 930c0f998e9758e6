"""The command groups of `zoo`: each module declares its sub-commands' flags (`register`) and maps
them to one library call. Light at import (no Keras), so `zoo --help` stays fast."""
