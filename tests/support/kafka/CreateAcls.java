// Creates ACLs on a broker through its superuser listener (aiokafka's admin client has no ACL
// calls; Kafka's own Admin client does). Arguments: bootstrap, then one ACL per argument as
// principal|resourceType|name|patternType|operation, e.g.
// User:agency-education|TOPIC|maag.referral.submissions|LITERAL|WRITE
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class CreateAcls {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        List<AclBinding> bindings = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String[] p = args[i].split("\\|");
            bindings.add(new AclBinding(
                new ResourcePattern(ResourceType.valueOf(p[1]), p[2], PatternType.valueOf(p[3])),
                new AccessControlEntry(p[0], "*", AclOperation.valueOf(p[4]), AclPermissionType.ALLOW)));
        }
        try (Admin admin = Admin.create(props)) {
            admin.createAcls(bindings).all().get();
        }
        System.out.println("created " + bindings.size());
    }
}
