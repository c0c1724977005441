include "../included.thrift"
