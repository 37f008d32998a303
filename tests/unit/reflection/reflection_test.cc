// grpc.reflection v1 and v1alpha as a gRPC C++ client sees them: service
// listing, files by name, symbol and extension, errors, and files sent once
// per stream.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/descriptor_database.h>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "src/interop/test_service.h"
#include "tests/unit/server/test_server.h"
#include "triplex/reflection.h"

namespace triplex::testing {
namespace {

namespace pb = google::protobuf;
using namespace std::chrono_literals;
using Names = std::vector<std::string>;

constexpr char kTestProto[] = "grpc/testing/test.proto";
constexpr char kEmptyProto[] = "grpc/testing/empty.proto";
constexpr char kMessagesProto[] = "grpc/testing/messages.proto";

// The two versions share message shapes; the typed tests run against each.
struct V1 {
  using Service = grpc::reflection::v1::ServerReflection;
  using Request = grpc::reflection::v1::ServerReflectionRequest;
  using Response = grpc::reflection::v1::ServerReflectionResponse;
};
struct V1Alpha {
  using Service = grpc::reflection::v1alpha::ServerReflection;
  using Request = grpc::reflection::v1alpha::ServerReflectionRequest;
  using Response = grpc::reflection::v1alpha::ServerReflectionResponse;
};

std::unique_ptr<TestServer> start_server() {
  auto server = std::make_unique<TestServer>(ServerOptions{});
  // Added first: the listing must still show services added after it.
  add_reflection_services(server->server());
  server->server().add_service(std::make_shared<interop::TestServiceImpl>());
  server->start();
  return server;
}

template <typename Api>
class ReflectionTest : public ::testing::Test {
 protected:
  using Request = typename Api::Request;
  using Response = typename Api::Response;

  void SetUp() override {
    server_ = start_server();
    stub_ = Api::Service::NewStub(server_->insecure_channel());
  }

  static Request symbol(const std::string& name) {
    Request request;
    request.set_file_containing_symbol(name);
    return request;
  }
  static Request file(const std::string& name) {
    Request request;
    request.set_file_by_filename(name);
    return request;
  }

  // Sends the requests on one stream, reading each answer before the next request.
  std::vector<Response> exchange(const std::vector<Request>& requests) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    auto stream = stub_->ServerReflectionInfo(&context);
    std::vector<Response> responses;
    for (const auto& request : requests) {
      EXPECT_TRUE(stream->Write(request));
      Response response;
      if (!stream->Read(&response)) break;
      responses.push_back(response);
    }
    stream->WritesDone();
    grpc::Status status = stream->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(responses.size(), requests.size());
    return responses;
  }

  Response ask(const Request& request) {
    auto responses = exchange({request});
    return responses.empty() ? Response() : responses[0];
  }

  static std::vector<pb::FileDescriptorProto> files_of(const Response& response) {
    std::vector<pb::FileDescriptorProto> files;
    for (const auto& bytes : response.file_descriptor_response().file_descriptor_proto()) {
      files.emplace_back();
      EXPECT_TRUE(files.back().ParseFromString(bytes));
    }
    return files;
  }
  static Names names_of(const Response& response) {
    Names names;
    for (const auto& f : files_of(response)) names.push_back(f.name());
    return names;
  }

  std::unique_ptr<TestServer> server_;
  std::unique_ptr<typename Api::Service::Stub> stub_;
};

using Versions = ::testing::Types<V1, V1Alpha>;
TYPED_TEST_SUITE(ReflectionTest, Versions);

TYPED_TEST(ReflectionTest, ListsEveryServiceIncludingLaterOnesAndEchoesTheRequest) {
  typename TestFixture::Request request;
  request.set_host("example.test");
  request.set_list_services("*");
  auto response = this->ask(request);
  EXPECT_EQ(response.valid_host(), "example.test");
  EXPECT_EQ(response.original_request().list_services(), "*");
  std::set<std::string> names;
  for (const auto& s : response.list_services_response().service()) names.insert(s.name());
  EXPECT_EQ(names, (std::set<std::string>{"grpc.reflection.v1.ServerReflection",
                                          "grpc.reflection.v1alpha.ServerReflection",
                                          "grpc.testing.TestService"}));
}

TYPED_TEST(ReflectionTest, FileByFilenameSendsTheFileFirstThenItsImports) {
  auto response = this->ask(this->file(kTestProto));
  ASSERT_TRUE(response.has_file_descriptor_response());
  EXPECT_EQ(this->names_of(response), (Names{kTestProto, kEmptyProto, kMessagesProto}));
  EXPECT_EQ(response.original_request().file_by_filename(), kTestProto);

  // The files are complete: a fresh pool builds the service from them alone.
  pb::SimpleDescriptorDatabase database;
  for (const auto& f : this->files_of(response)) ASSERT_TRUE(database.Add(f));
  pb::DescriptorPool pool(&database);
  const auto* service = pool.FindServiceByName("grpc.testing.TestService");
  ASSERT_NE(service, nullptr);
  const auto* unary = service->FindMethodByName("UnaryCall");
  ASSERT_NE(unary, nullptr);
  EXPECT_EQ(unary->input_type()->full_name(), "grpc.testing.SimpleRequest");
}

TYPED_TEST(ReflectionTest, FileContainingSymbolFindsEveryKindOfName) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"grpc.testing.TestService", kTestProto},
      {"grpc.testing.TestService.UnaryCall", kTestProto},
      {"grpc.testing.SimpleRequest", kMessagesProto},
      {"grpc.testing.SimpleRequest.response_size", kMessagesProto},
      {"grpc.testing.PayloadType", kMessagesProto},
      {"grpc.testing.LoadBalancerStatsResponse.RpcsByPeer", kMessagesProto},
      {"grpc.testing.ClientConfigureRequest.RpcType", kMessagesProto},
      {"grpc.testing.Empty", kEmptyProto},
  };
  for (const auto& [name, expected] : cases) {
    auto response = this->ask(this->symbol(name));
    auto names = this->names_of(response);
    ASSERT_FALSE(names.empty()) << name << ": " << response.error_response().error_message();
    EXPECT_EQ(names[0], expected) << name;
    EXPECT_EQ(response.original_request().file_containing_symbol(), name);
  }
}

TYPED_TEST(ReflectionTest, UnknownNamesAreNotFoundAndTheStreamGoesOn) {
  auto responses =
      this->exchange({this->symbol("grpc.testing.NoSuchThing"), this->file("no/such.proto"),
                      this->symbol("grpc.testing.SimpleRequest.no_such_field"),
                      this->symbol("grpc.testing.TestService")});
  ASSERT_EQ(responses.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(responses[i].has_error_response()) << i;
    EXPECT_EQ(responses[i].error_response().error_code(), 5) << i;  // NOT_FOUND
    EXPECT_FALSE(responses[i].error_response().error_message().empty()) << i;
  }
  EXPECT_EQ(responses[0].original_request().file_containing_symbol(), "grpc.testing.NoSuchThing");
  EXPECT_EQ(this->names_of(responses[3]), (Names{kTestProto, kEmptyProto, kMessagesProto}));
}

TYPED_TEST(ReflectionTest, OneStreamSendsEachImportOnce) {
  auto responses = this->exchange({this->symbol("grpc.testing.TestService"),
                                   this->symbol("grpc.testing.SimpleRequest"),
                                   this->file(kTestProto), this->symbol("grpc.testing.Empty")});
  ASSERT_EQ(responses.size(), 4u);
  EXPECT_EQ(this->names_of(responses[0]), (Names{kTestProto, kEmptyProto, kMessagesProto}));
  // The requested file is always sent; its imports went out already.
  EXPECT_EQ(this->names_of(responses[1]), (Names{kMessagesProto}));
  EXPECT_EQ(this->names_of(responses[2]), (Names{kTestProto}));
  EXPECT_EQ(this->names_of(responses[3]), (Names{kEmptyProto}));
  // A new stream starts afresh.
  EXPECT_EQ(this->names_of(this->ask(this->file(kTestProto))),
            (Names{kTestProto, kEmptyProto, kMessagesProto}));
}

TYPED_TEST(ReflectionTest, ExtensionsAreAnsweredFromThePool) {
  typename TestFixture::Request by_number;
  by_number.mutable_file_containing_extension()->set_containing_type("triplex.test.v1.Extendable");
  by_number.mutable_file_containing_extension()->set_extension_number(150);
  EXPECT_EQ(this->names_of(this->ask(by_number)),
            (Names{"triplex/test/v1/extensions.proto", "triplex/test/v1/extendable.proto"}));

  typename TestFixture::Request all;
  all.set_all_extension_numbers_of_type("triplex.test.v1.Extendable");
  auto numbers = this->ask(all).all_extension_numbers_response();
  EXPECT_EQ(numbers.base_type_name(), "triplex.test.v1.Extendable");
  EXPECT_EQ(std::vector<int>(numbers.extension_number().begin(), numbers.extension_number().end()),
            (std::vector<int>{100, 150}));

  typename TestFixture::Request unknown_number = by_number;
  unknown_number.mutable_file_containing_extension()->set_extension_number(120);
  typename TestFixture::Request unknown_type = by_number;
  unknown_type.mutable_file_containing_extension()->set_containing_type("no.such.Type");
  typename TestFixture::Request unknown_all;
  unknown_all.set_all_extension_numbers_of_type("no.such.Type");
  for (const auto& request : {unknown_number, unknown_type, unknown_all}) {
    auto response = this->ask(request);
    ASSERT_TRUE(response.has_error_response()) << request.ShortDebugString();
    EXPECT_EQ(response.error_response().error_code(), 5);  // NOT_FOUND
  }
}

TYPED_TEST(ReflectionTest, RequestWithoutAKindIsUnimplemented) {
  typename TestFixture::Request request;
  request.set_host("example.test");
  auto response = this->ask(request);
  ASSERT_TRUE(response.has_error_response());
  EXPECT_EQ(response.error_response().error_code(), 12);  // UNIMPLEMENTED
}

}  // namespace
}  // namespace triplex::testing
