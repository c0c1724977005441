/**
 * The mock plugin's own service, used when it is given no IDL to mock: the mock then
 * answers plain REST stubs only.
 */
namespace py aviary_mock

/** A REST-only mock: no Thrift methods. */
service Mock {
}
