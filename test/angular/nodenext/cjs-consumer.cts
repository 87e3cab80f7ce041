// A CommonJS consumer of the built package under "module": "nodenext".
import KintoClient = require("kinto-rx");

const client = new KintoClient.KintoClient("http://127.0.0.1:8888/v1");
const byDefault: KintoClient.KintoClient = new KintoClient.default("http://127.0.0.1:8888/v1");
export const remotes = [client.remote, byDefault.remote];
