this is not valid thrift.
