#include "store/store_server.h"

namespace faasnet::store {

Result<std::unique_ptr<StoreServer>> StoreServer::Start(StoreServerOptions options, s3::CredentialStore credentials) {
  if (credentials.size() == 0 && !options.service.allow_anonymous) {
    return Status::InvalidArgument("the store has no credentials: give a credentials file with at least one "
                                   "profile (aws_access_key_id / aws_secret_access_key)");
  }
  std::unique_ptr<StoreServer> s(new StoreServer());
  s->credentials_ = std::move(credentials);
  ASSIGN_OR_RETURN(s->store_, ObjectStore::Open(options.data_dir, options.store));
  s->service_ = std::make_unique<S3Service>(s->store_.get(), s->credentials_.AsLookup(), options.service);
  s->server_ = std::make_unique<http::Server>(options.http, s->service_->AsHandler());
  for (const auto& addr : options.listen) {
    auto bound = s->server_->Listen(addr);
    if (!bound.ok()) return bound.status();
    s->endpoints_.push_back("http://" + *bound);
  }
  RETURN_IF_ERROR(s->server_->Start());
  return s;
}

StoreServer::~StoreServer() { Stop(); }

void StoreServer::Stop() {
  if (server_) server_->Stop();
}

}  // namespace faasnet::store
