// Validates the Strimzi, CloudNativePG and Prometheus operator objects given on stdin (a JSON array) against the
// validators generated from those operators' CRD schemas. Prints a JSON report:
// {"checked": ["Kind/name", ...], "errors": ["Kind/name: what is wrong", ...]}.
import { Kafka } from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/Kafka";
import { KafkaNodePool } from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/KafkaNodePool";
import { KafkaTopic } from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/KafkaTopic";
import { KafkaUser } from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/KafkaUser";
import { Cluster } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Cluster";
import { Database } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Database";
import { ScheduledBackup } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/ScheduledBackup";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { BarmanObjectStoreConfiguration } from "@kubernetes-models/cloudnative-pg/github.com/cloudnative-pg/barman-cloud/pkg/api/BarmanObjectStoreConfiguration";

const MODELS = {
  "kafka.strimzi.io/v1/Kafka": Kafka,
  "kafka.strimzi.io/v1/KafkaNodePool": KafkaNodePool,
  "kafka.strimzi.io/v1/KafkaTopic": KafkaTopic,
  "kafka.strimzi.io/v1/KafkaUser": KafkaUser,
  "postgresql.cnpg.io/v1/Cluster": Cluster,
  "postgresql.cnpg.io/v1/Database": Database,
  "postgresql.cnpg.io/v1/ScheduledBackup": ScheduledBackup,
  "monitoring.coreos.com/v1/PodMonitor": PodMonitor,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
};

// The Barman Cloud plugin's ObjectStore has no generated model; its spec.configuration is
// barman-cloud's BarmanObjectStoreConfiguration, which has one, and retentionPolicy follows
// the plugin's documented pattern.
function objectStore(doc) {
  new BarmanObjectStoreConfiguration(doc.spec?.configuration ?? {}).validate();
  const retention = doc.spec?.retentionPolicy;
  if (retention !== undefined && !/^[1-9][0-9]*[dwm]$/.test(retention)) {
    throw new Error(`spec.retentionPolicy: ${JSON.stringify(retention)} is not <number>[dwm]`);
  }
}

const docs = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
}));
const report = { checked: [], errors: [] };
for (const doc of docs) {
  const id = `${doc.kind}/${doc.metadata?.name}`;
  try {
    if (doc.apiVersion === "barmancloud.cnpg.io/v1" && doc.kind === "ObjectStore") {
      objectStore(doc);
    } else {
      const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      if (!Model) throw new Error(`no validator for ${doc.apiVersion} ${doc.kind}`);
      new Model(doc).validate();
    }
    report.checked.push(id);
  } catch (e) {
    report.errors.push(`${id}: ${e.message}`);
  }
}
console.log(JSON.stringify(report));
