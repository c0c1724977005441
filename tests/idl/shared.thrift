/** Types shared by including files. */
struct Pair { 1: required string key, 2: optional i64 value }
